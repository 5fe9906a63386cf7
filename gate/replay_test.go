package gate_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/gate/policy"
)

const engRego = `package stella.release

deny contains {"code": "kev-in-prod", "message": sprintf("%s is known-exploited", [f.advisoryId])} if {
	input.environment.tier == "production"
	some f in input.findings
	f.active
	f.kev != null
}

warn contains {"code": "gate-warned", "message": g.id} if {
	some g in input.gates
	g.status == "warn"
}
`

func engBundle(t *testing.T, src string) *policy.Bundle {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "release.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func engReplayConfig(b *policy.Bundle) gate.Config {
	return gate.Config{Gates: []gate.GateConfig{
		{ID: "sec", Type: builtin.TypeSecurityThresholds},
		{ID: "kev", Type: builtin.TypeKEV},
		{ID: "rego", Type: gate.TypePolicy, Settings: map[string]any{"bundle": b.Digest()}},
	}}
}

// withoutCritical is the fixture minus its critical KEV finding.
func withoutCritical() *gate.Input {
	in := fixture.Input()
	in.Findings = in.Findings[1:]
	return in
}

// Acceptance 14: replay of a stored record matches; a changed advisory
// snapshot mismatches naming it; a deleted or edited input fails.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	b := engBundle(t, engRego)
	known := gate.WithReplayEngine(builtins()...) // the gate types the record was decided with
	dir := t.TempDir()
	cas := gate.NewDirCAS(dir)
	eng, err := gate.NewEngine(ctx, builtins(gate.WithConfig(engReplayConfig(b)), gate.WithPolicies(b))...)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := eng.Decide(ctx, withoutCritical(), fixture.Meta(), gate.KeepInputs(cas))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Decision != gate.Allow || rec.Inputs.PolicyDigest != b.Digest() || fixture.GateByID(t, rec, "rego").Status != gate.StatusWarn {
		t.Fatalf("recorded %s %v %+v", rec.Decision, rec.ReasonCodes, rec.Gates)
	}

	res, err := gate.Replay(ctx, rec, gate.NewDirCAS(dir), known)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != gate.ReplayMatch || res.ReplayedHash != rec.DeterminismHash || len(res.Diff) != 0 {
		t.Fatalf("replay: %+v", res)
	}
	if res.Decision.RecordDigest != rec.RecordDigest {
		t.Fatal("replayed record is not byte-identical")
	}

	// What-if: the advisory snapshot recomputed with one more critical
	// finding. The recomputed Input and digests come from raw sources.
	recomputed := fixture.Input()
	inputs := fixture.Meta().Inputs
	inputs.AdvisorySnapshotID = "sha256:" + strings.Repeat("6", 64)
	res, err = gate.Replay(ctx, rec, cas, known, gate.WithReplayInput(recomputed, inputs))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != gate.ReplayMismatch || !slices.Contains(res.ChangedInputs, "advisorySnapshotId") {
		t.Fatalf("override: %s changed %v", res.Outcome, res.ChangedInputs)
	}
	if !slices.ContainsFunc(res.Diff, func(d gate.Difference) bool { return d.Field == "decision" && d.Replayed == "deny" }) ||
		!slices.ContainsFunc(res.Diff, func(d gate.Difference) bool {
			return d.Field == "gates.rego.reasonCodes" && strings.Contains(d.Replayed, "policy.kev-in-prod")
		}) {
		t.Fatalf("diff %+v", res.Diff)
	}

	// Same findings, only the snapshot id differs: still a mismatch.
	res, _ = gate.Replay(ctx, rec, cas, known, gate.WithReplayInput(withoutCritical(), inputs))
	if res.Outcome != gate.ReplayMismatch || res.ReplayedHash != rec.DeterminismHash || !slices.Equal(res.ChangedInputs, []string{"advisorySnapshotId"}) {
		t.Fatalf("snapshot byte change: %s %v", res.Outcome, res.ChangedInputs)
	}

	// A substitute configuration by digest.
	stricter := engReplayConfig(b)
	stricter.Gates[0].Settings = map[string]any{"failSeverity": "high"}
	raw, _ := stricter.Canonical()
	d, _ := cas.Put(ctx, raw)
	res, _ = gate.Replay(ctx, rec, cas, known, gate.WithOverride("gateConfigDigest", d))
	if res.Outcome != gate.ReplayMismatch || !slices.Equal(res.ChangedInputs, []string{"gateConfigDigest"}) {
		t.Fatalf("config override: %s %v", res.Outcome, res.ChangedInputs)
	}

	// An edited input, then a deleted one.
	p := filepath.Join(dir, "cas", "sha256", strings.TrimPrefix(rec.Inputs.InputDocumentDigest, "sha256:"))
	orig, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(orig, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, _ = gate.Replay(ctx, rec, cas, known); res.Outcome != gate.ReplayFailed {
		t.Fatalf("edited input: %+v", res)
	}
	os.Remove(p)
	if res, _ = gate.Replay(ctx, rec, cas, known); res.Outcome != gate.ReplayFailed || !strings.Contains(res.Reason, "input document") {
		t.Fatalf("deleted input: %+v", res)
	}
	bundleFile := filepath.Join(dir, "cas", "sha256", strings.TrimPrefix(b.Digest(), "sha256:"))
	os.WriteFile(p, orig, 0o644)
	os.Remove(bundleFile)
	if res, _ = gate.Replay(ctx, rec, cas, known); res.Outcome != gate.ReplayFailed || !strings.Contains(res.Reason, "policy") {
		t.Fatalf("deleted bundle: %+v", res)
	}
}

// A bundle that does not compile fails the policy gate, never allows.
func TestPolicyGateOutcomes(t *testing.T) {
	ctx := context.Background()
	good, broken, undefined := engBundle(t, engRego), engBundle(t, "package stella.release\ndeny contains x if {"), engBundle(t, "package other\nallow := true\n")
	cases := []struct {
		b    *policy.Bundle
		in   *gate.Input
		want gate.Status
		code string
	}{
		{good, fixture.Input(), gate.StatusFail, "policy.kev-in-prod"},
		{good, withoutCritical(), gate.StatusPass, ""},
		{broken, withoutCritical(), gate.StatusFail, "policy.compile-error"},
		{undefined, withoutCritical(), gate.StatusFail, "policy.undefined"},
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
