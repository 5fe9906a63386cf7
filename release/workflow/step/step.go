package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Step runs one node of a workflow run, one attempt at a time. It returns an
// error for a failed attempt (mark it with Retriable when a retry may help) or
// an Output; Output.Waiting says the node waits for something outside (an
// approval) and the engine runs the step again when poked.
type Step interface {
	Run(ctx context.Context, in Input) (Output, error)
}

// StepFunc adapts a plain function to Step.
type StepFunc func(ctx context.Context, in Input) (Output, error)

// Run calls f.
func (f StepFunc) Run(ctx context.Context, in Input) (Output, error) { return f(ctx, in) }

// Input is what one attempt of a node sees.
type Input struct {
	RunID   string
	NodeID  string
	Attempt int // 1 for the first attempt

	Config json.RawMessage // the node's config; each step decodes it strictly
	Inputs map[string]any  // the run's inputs ("tenant", "release", "environment", "promotion", …)

	// Lookup reads the run's scope: "inputs.k", "nodes.<id>.outputs.k",
	// "nodes.<id>.state". Nil means an empty scope.
	Lookup func(ref string) (any, bool)

	Secrets map[string]string // injected by the server; never logged
	Log     io.Writer         // step log lines; nil discards
}

// Output is what a successful (or waiting) attempt produced.
type Output struct {
	Values  map[string]any
	Waiting bool // not yet satisfied (approval, manual); run the step again later
}

type retriable struct{ err error }

func (r retriable) Error() string { return r.err.Error() }
func (r retriable) Unwrap() error { return r.err }

// Retriable marks err as worth another attempt (a timeout, a 5xx). Errors
// not marked are final: the node fails whatever its retry policy says.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return retriable{err}
}

// IsRetriable reports whether err, or an error it wraps, was marked with Retriable.
func IsRetriable(err error) bool {
	var r retriable
	return errors.As(err, &r)
}

// Registry maps step types to steps. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	steps map[string]Step
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{steps: map[string]Step{}} }

// Register adds a step type. Like http.Handle it panics on an empty type, a
// nil step or a type registered twice: all three are programming errors
// found at start-up, not conditions to handle.
func (r *Registry) Register(typ string, s Step) {
	if typ == "" {
		panic("step: Register with an empty type")
	}
	if s == nil {
		panic(fmt.Sprintf("step: Register %q with a nil step", typ))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.steps[typ]; dup {
		panic(fmt.Sprintf("step: type %q registered twice", typ))
	}
	r.steps[typ] = s
}

// Lookup returns the step of a type.
func (r *Registry) Lookup(typ string) (Step, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.steps[typ]
	return s, ok
}

// Known reports whether a type is registered; it fits workflow.Validate's knownType.
func (r *Registry) Known(typ string) bool {
	_, ok := r.Lookup(typ)
	return ok
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.steps))
	for t := range r.steps {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
