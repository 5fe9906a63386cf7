package step

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestWait(t *testing.T) {
	s, _ := Builtins(Deps{}).Lookup(TypeWait)
	if _, err := s.Run(context.Background(), Input{Config: json.RawMessage(`{"seconds": 0.01}`)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, Input{Config: json.RawMessage(`{"seconds": 3600}`)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := s.Run(context.Background(), Input{Config: json.RawMessage(`{"seconds": -1}`)}); err == nil || !contains(err.Error(), "config.seconds") {
		t.Fatalf("negative: %v", err)
	}
}
