package decide_test

import (
	"context"
	"testing"

	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/gate/policy"
)

// BenchmarkDecide measures one decision of a three-image release with a
// Rego bundle: through a Decider prepared once (the server's way), and
// through a fresh one per decision (what the server did before).
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	bundle, err := policy.Load("../stella/testdata/gate/policy")
	if err != nil {
		b.Fatal(err)
	}
	req := request(b)
	b.Run("prepared", func(b *testing.B) {
		d, err := decide.New(ctx, decide.WithPolicies(bundle))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, _, err := d.Decide(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			d, err := decide.New(ctx, decide.WithPolicies(bundle))
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := d.Decide(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
