package gate_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/vex"
)

const engE2EConfig = `
gates:
  - id: security
    type: security-thresholds
    settings: {failSeverity: critical}
    environments:
      development: {onlyFixable: true}
  - id: kev
    type: kev
    settings: {allowGracePeriod: false}
    environments:
      development: {allowGracePeriod: true, graceDays: 3650, blockPastDueDate: false}
`

// A critical KEV finding is denied in production and allowed in
// development by per-environment settings alone; a not_affected VEX
// verdict then flips production to allow, in a record of its own.
func TestEndToEndEnvironmentsAndVEX(t *testing.T) {
	ctx := context.Background()
	cfg, err := gate.ParseConfig([]byte(engE2EConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(builtin.Types()); err != nil {
		t.Fatal(err)
	}
	eng, err := gate.NewEngine(context.Background(), fixture.Builtins(gate.WithConfig(cfg), gate.WithEngineVersion("e2e"))...)
	if err != nil {
		t.Fatal(err)
	}
	af := fixture.AdvisoryFinding("CVE-2026-4242", "pkg:npm/left-pad@1.0.0", 9.8)
	af.KEV = &advisory.KEV{DateAdded: "2026-01-10", DueDate: "2026-01-31"}

	decideIn := func(env gate.Environment, verdict vex.Status) *gate.Decision {
		t.Helper()
		in := fixture.Input()
		in.Environment, in.TargetEnvironment = env, env.Name
		src := gate.FindingSource{Finding: af, Component: "api", VEX: &vex.Verdict{Status: verdict, Confidence: 0.9, Digest: fixture.VEXD}}
		if in.Findings, err = gate.BuildFindings([]gate.FindingSource{src}, gate.FindingScope{Cutoff: fixture.Cutoff, ReleaseName: in.Release.Name, Environment: env.Name}); err != nil {
			t.Fatal(err)
		}
		d, err := eng.Decide(ctx, in, fixture.Meta())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	prod := gate.Environment{ID: "env-prod", Name: "prod", Tier: "production"}
	dev := gate.Environment{ID: "env-dev", Name: "dev", Tier: "development"}

	p := decideIn(prod, vex.StatusAffected)
	if p.Decision != gate.Deny || !slices.Contains(p.ReasonCodes, "kev.listed") || !slices.Contains(p.ReasonCodes, "security-thresholds.severity-exceeded") {
		t.Fatalf("prod: %s %v", p.Decision, p.ReasonCodes)
	}
	d := decideIn(dev, vex.StatusAffected)
	if d.Decision != gate.Allow || fixture.GateByID(t, d, "kev").Status != gate.StatusWarn || fixture.GateByID(t, d, "security").Status != gate.StatusWarn {
		t.Fatalf("dev: %s %v", d.Decision, d.ReasonCodes)
	}
	if p.Inputs.GateConfigDigest != d.Inputs.GateConfigDigest {
		t.Fatal("one configuration serves both environments")
	}
	v := decideIn(prod, vex.StatusNotAffected)
	if v.Decision != gate.Allow || len(v.ReasonCodes) != 0 {
		t.Fatalf("prod with not_affected: %s %v", v.Decision, v.ReasonCodes)
	}
	if v.RecordDigest == p.RecordDigest || v.Inputs.InputDocumentDigest == p.Inputs.InputDocumentDigest {
		t.Fatal("the VEX change must produce a distinct record")
	}
	for _, rec := range []*gate.Decision{p, d, v} {
		if err := rec.CheckDigests(); err != nil {
			t.Fatal(err)
		}
	}
}
