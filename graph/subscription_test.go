package graph

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/broker"
)

func collect[V any](c <-chan *V) []V {
	var out []V
	for v := range c {
		out = append(out, *v)
	}
	return out
}

// A subscriber that fell behind gets what it had room for, then the stream
// ends with SUBSCRIBER_BEHIND; conv's nil results are skipped.
func TestRelayEndsBehindWithError(t *testing.T) {
	b := broker.New[int]()
	sub := b.Subscribe(t.Context(), 3, nil)
	for i := range 5 {
		b.Publish(i) // room for 0, 1, 2: ended at 3
	}
	var failed []error
	got := collect(relay(t.Context(), sub, func(i int) (*int, error) {
		if i == 1 {
			return nil, nil
		}
		return &i, nil
	}, func(err error) { failed = append(failed, err) }))
	if !slices.Equal(got, []int{0, 2}) {
		t.Errorf("relayed %v, want [0 2]", got)
	}
	var pe *fault.PreconditionError
	if len(failed) != 1 || !errors.As(failed[0], &pe) || pe.Code != "SUBSCRIBER_BEHIND" {
		t.Errorf("errors %v, want one SUBSCRIBER_BEHIND", failed)
	}
}

// A conversion error ends the stream with that error; an ordinary end
// (the broker closed, the context done) with none.
func TestRelayEnds(t *testing.T) {
	b := broker.New[int]()
	boom := errors.New("boom")
	sub := b.Subscribe(t.Context(), 4, nil)
	b.Publish(1)
	b.Publish(2)
	var failed []error
	got := collect(relay(t.Context(), sub, func(i int) (*int, error) {
		if i == 2 {
			return nil, boom
		}
		return &i, nil
	}, func(err error) { failed = append(failed, err) }))
	if !slices.Equal(got, []int{1}) || len(failed) != 1 || !errors.Is(failed[0], boom) {
		t.Errorf("relayed %v with errors %v, want [1] then boom", got, failed)
	}

	ctx, cancel := context.WithCancel(t.Context())
	sub = b.Subscribe(ctx, 4, nil)
	failed = nil
	out := relay(ctx, sub, func(i int) (*int, error) { return &i, nil }, func(err error) { failed = append(failed, err) })
	b.Publish(7)
	if v := <-out; *v != 7 {
		t.Errorf("relayed %d, want 7", *v)
	}
	cancel()
	if rest := collect(out); len(rest) != 0 || len(failed) != 0 {
		t.Errorf("after cancel: %v, errors %v", rest, failed)
	}
}
