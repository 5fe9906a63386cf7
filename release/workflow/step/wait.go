package step

import (
	"context"
	"time"
)

// maxWait bounds a wait step; longer pauses belong to a schedule, not a node.
const maxWait = 7 * 24 * 3600

// wait pauses the run.
//
// Config: {"seconds": 30}   Outputs: none.
// A cancelled ctx ends it early with ctx.Err().
func wait(ctx context.Context, in Input) (Output, error) {
	var cfg struct {
		Seconds float64 `json:"seconds"`
	}
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if cfg.Seconds < 0 || cfg.Seconds > maxWait {
		return Output{}, invalid("seconds", "want 0…%d, got %v", maxWait, cfg.Seconds)
	}
	t := time.NewTimer(time.Duration(cfg.Seconds * float64(time.Second)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return Output{}, ctx.Err()
	case <-t.C:
		return Output{}, nil
	}
}
