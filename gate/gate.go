package gate

import (
	"context"
	"time"
)

// Status is the outcome of one gate (gate.md §1).
type Status string

// Gate statuses.
const (
	StatusPass    Status = "pass"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusPending Status = "pending"
)

// Gate checks one concern of a release entering an environment. A gate is
// a pure function of its Input: it reads no clock (it uses
// Input.ClockCutoff), no network and no store.
type Gate interface {
	ID() string   // instance id, unique per environment, e.g. "kev"
	Type() string // built-in or plugin type
	Evaluate(ctx context.Context, in *Input) (Result, error)
}

// Result is what a gate returns.
type Result struct {
	Status      Status         `json:"status"`
	ReasonCodes []string       `json:"reasonCodes"` // "<type>.<reason>", sorted, deduplicated
	Message     string         `json:"message"`
	Details     map[string]any `json:"details,omitempty"`   // canonical-JSON-safe; lists sorted
	NotBefore   *time.Time     `json:"notBefore,omitempty"` // pending only
}

// Factory builds a gate instance. settings are the type's defaults with the
// configured settings and the environment's overrides merged over them.
type Factory func(id string, settings map[string]any) (Gate, error)
