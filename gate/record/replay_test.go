package record_test

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
	"github.com/stella-ops/stella/gate/record"
)

func replayConfig(b *policy.Bundle) gate.Config {
	return gate.Config{Gates: []gate.GateConfig{
		{ID: "sec", Type: builtin.TypeSecurityThresholds},
		{ID: "kev", Type: builtin.TypeKEV},
		{ID: "rego", Type: gate.TypePolicy, Settings: map[string]any{"bundle": b.Digest()}},
	}}
}

// Acceptance 14: replay of a stored record matches; a changed advisory
// snapshot mismatches naming it; a deleted or edited input fails. The
// record was decided with the built-in types, which Replay knows without
// being told.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	b := fixture.Bundle(t, fixture.Rego)
	dir := t.TempDir()
	cas := record.NewDirCAS(dir)
	eng, err := gate.NewEngine(ctx, fixture.Builtins(gate.WithConfig(replayConfig(b)), gate.WithPolicies(b))...)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := eng.Decide(ctx, fixture.WithoutCritical(), fixture.Meta(), gate.KeepInputs(cas))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Decision != gate.Allow || rec.Inputs.PolicyDigest != b.Digest() || fixture.GateByID(t, rec, "rego").Status != gate.StatusWarn {
		t.Fatalf("recorded %s %v %+v", rec.Decision, rec.ReasonCodes, rec.Gates)
	}

	res, err := record.Replay(ctx, rec, record.NewDirCAS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != record.Match || res.ReplayedHash != rec.DeterminismHash || len(res.Diff) != 0 {
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
	res, err = record.Replay(ctx, rec, cas, record.WithInput(recomputed, inputs))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != record.Mismatch || !slices.Contains(res.ChangedInputs, "advisorySnapshotId") {
		t.Fatalf("override: %s changed %v", res.Outcome, res.ChangedInputs)
	}
	if !slices.ContainsFunc(res.Diff, func(d record.Difference) bool { return d.Field == "decision" && d.Replayed == "deny" }) ||
		!slices.ContainsFunc(res.Diff, func(d record.Difference) bool {
			return d.Field == "gates.rego.reasonCodes" && strings.Contains(d.Replayed, "policy.kev-in-prod")
		}) {
		t.Fatalf("diff %+v", res.Diff)
	}

	// Same findings, only the snapshot id differs: still a mismatch.
	res, _ = record.Replay(ctx, rec, cas, record.WithInput(fixture.WithoutCritical(), inputs))
	if res.Outcome != record.Mismatch || res.ReplayedHash != rec.DeterminismHash || !slices.Equal(res.ChangedInputs, []string{"advisorySnapshotId"}) {
		t.Fatalf("snapshot byte change: %s %v", res.Outcome, res.ChangedInputs)
	}

	// A substitute configuration by digest.
	stricter := replayConfig(b)
	stricter.Gates[0].Settings = map[string]any{"failSeverity": "high"}
	raw, _ := stricter.Canonical()
	d, _ := cas.Put(ctx, raw)
	res, _ = record.Replay(ctx, rec, cas, record.WithOverride("gateConfigDigest", d))
	if res.Outcome != record.Mismatch || !slices.Equal(res.ChangedInputs, []string{"gateConfigDigest"}) {
		t.Fatalf("config override: %s %v", res.Outcome, res.ChangedInputs)
	}

	// An edited input, then a deleted one.
	p := filepath.Join(dir, "cas", "sha256", strings.TrimPrefix(rec.Inputs.InputDocumentDigest, "sha256:"))
	orig, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(orig, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, _ = record.Replay(ctx, rec, cas); res.Outcome != record.Failed {
		t.Fatalf("edited input: %+v", res)
	}
	os.Remove(p)
	if res, _ = record.Replay(ctx, rec, cas); res.Outcome != record.Failed || !strings.Contains(res.Reason, "input document") {
		t.Fatalf("deleted input: %+v", res)
	}
	bundleFile := filepath.Join(dir, "cas", "sha256", strings.TrimPrefix(b.Digest(), "sha256:"))
	os.WriteFile(p, orig, 0o644)
	os.Remove(bundleFile)
	if res, _ = record.Replay(ctx, rec, cas); res.Outcome != record.Failed || !strings.Contains(res.Reason, "policy") {
		t.Fatalf("deleted bundle: %+v", res)
	}
}
