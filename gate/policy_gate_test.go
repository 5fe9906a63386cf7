package gate_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/gate/policy"
)

// A bundle that does not compile fails the policy gate, never allows.
func TestPolicyGateOutcomes(t *testing.T) {
	ctx := context.Background()
	good, broken, undefined := fixture.Bundle(t, fixture.Rego), fixture.Bundle(t, "package stella.release\ndeny contains x if {"), fixture.Bundle(t, "package other\nallow := true\n")
	cases := []struct {
		b    *policy.Bundle
		in   *gate.Input
		want gate.Status
		code string
	}{
		{good, fixture.Input(), gate.StatusFail, "policy.kev-in-prod"},
		{good, fixture.WithoutCritical(), gate.StatusPass, ""},
		{broken, fixture.WithoutCritical(), gate.StatusFail, "policy.compile-error"},
		{undefined, fixture.WithoutCritical(), gate.StatusFail, "policy.undefined"},
	}
	for _, c := range cases {
		cfg := gate.Config{Gates: []gate.GateConfig{{ID: "rego", Type: gate.TypePolicy, Settings: map[string]any{"bundle": c.b.Digest()}}}}
		eng, err := gate.NewEngine(context.Background(), gate.WithConfig(cfg), gate.WithPolicies(c.b))
		if err != nil {
			t.Fatal(err)
		}
		d, err := eng.Decide(ctx, c.in, fixture.Meta())
		if err != nil {
			t.Fatal(err)
		}
		g := fixture.GateByID(t, d, "rego")
		if g.Status != c.want || (c.code != "" && !slices.Contains(g.ReasonCodes, c.code)) {
			t.Errorf("bundle %s: %s %v, want %s %s", c.b.Digest()[:15], g.Status, g.ReasonCodes, c.want, c.code)
		}
		if c.want == gate.StatusFail && d.Decision != gate.Deny {
			t.Errorf("failing policy gave %s", d.Decision)
		}
	}
}
