package gate_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/vex"
)

// Acceptance 11: an exception suppresses until expiresAt; a second later
// the finding fails the gate again; a revocation takes effect at once.
func TestExceptionExpiryAndRevocation(t *testing.T) {
	src := []gate.FindingSource{{Finding: fixture.AdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.8), Component: "api",
		VEX: &vex.Verdict{Status: vex.StatusAffected, Confidence: 0.9, Digest: fixture.VEXC}}}
	ex := fixture.Exception("x1", exception.Scope{Vulnerability: "CVE-2026-1000", Environments: []string{"prod"}}, fixture.Cutoff.Add(-24*time.Hour))
	eng, err := gate.NewEngine(context.Background(), fixture.Builtins(gate.WithConfig(gate.Config{Gates: []gate.GateConfig{{ID: "sec", Type: builtin.TypeSecurityThresholds}}}))...)
	if err != nil {
		t.Fatal(err)
	}
	at := func(cut time.Time, revs ...exception.Revocation) *gate.Decision {
		t.Helper()
		in := fixture.Input()
		in.ClockCutoff = cut
		scope := gate.FindingScope{Cutoff: cut, ReleaseName: in.Release.Name, Environment: "prod", Exceptions: []exception.Exception{ex}, Revocations: revs}
		if in.Findings, err = gate.BuildFindings(src, scope); err != nil {
			t.Fatal(err)
		}
		meta := fixture.Meta()
		meta.Exceptions, meta.Revocations = scope.Exceptions, revs
		d, err := eng.Decide(context.Background(), in, meta)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	last := ex.ExpiresAt.Add(-time.Second)
	if d := at(last); d.Decision != gate.Allow || len(d.Exceptions) != 1 || d.Exceptions[0].ID != "x1" {
		t.Fatalf("just before expiry: %s %v exceptions %v", d.Decision, d.ReasonCodes, d.Exceptions)
	}
	if d := at(ex.ExpiresAt); d.Decision != gate.Deny || !slices.Contains(d.ReasonCodes, "security-thresholds.severity-exceeded") || len(d.Exceptions) != 0 {
		t.Fatalf("at expiry: %s %v, want deny", d.Decision, d.ReasonCodes)
	}
	rev := exception.Revocation{ExceptionID: "x1", RevokedBy: "u-sec", At: fixture.Cutoff}
	before, after := at(fixture.Cutoff.Add(-time.Second), rev), at(fixture.Cutoff, rev)
	if before.Decision != gate.Allow || after.Decision != gate.Deny {
		t.Fatalf("revocation: before %s, at %s; want allow then deny", before.Decision, after.Decision)
	}
	if before.Inputs.ExceptionsDigest == at(fixture.Cutoff.Add(-time.Second)).Inputs.ExceptionsDigest {
		t.Fatal("appending a revocation must change exceptionsDigest")
	}
}
