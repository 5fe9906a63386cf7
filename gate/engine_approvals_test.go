package gate_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/internal/fixture"
)

// The record lists the approvals that counted, not every one given.
func TestRecordListsCountedApprovals(t *testing.T) {
	in := fixture.Input()
	in.Environment.RequiredApprovals = 2
	in.Environment.RequireSeparationOfDuties = true
	in.Approvals = append(in.Approvals,
		gate.Approval{ApproverID: "u-alice", Groups: []string{"release-managers"}, Action: "approve", At: fixture.Cutoff.Add(-2 * time.Hour), ReleaseDigest: fixture.Release},                 // the requester
		gate.Approval{ApproverID: "u-dave", Groups: []string{"release-managers"}, Action: "approve", At: fixture.Cutoff.Add(-3 * time.Hour), ReleaseDigest: "sha256:" + fixture.Snapshot[7:]}, // another digest
		gate.Approval{ApproverID: "u-erin", Groups: []string{"qa"}, Action: "approve", At: fixture.Cutoff.Add(-4 * time.Hour), ReleaseDigest: fixture.Release},                                // not eligible
	)
	d := fixture.Decide(t, in, fixture.Builtins(gate.WithConfig(gate.Config{Gates: []gate.GateConfig{{ID: "approvals", Type: builtin.TypeApprovals}}}))...)
	var got []string
	for _, a := range d.Approvals {
		got = append(got, a.ApproverID)
	}
	if !slices.Equal(got, []string{"u-bob", "u-carol"}) {
		t.Fatalf("record approvals %v, want the two that counted: u-bob, u-carol", got)
	}
	if g := d.Gates[0]; g.Status != gate.StatusPass {
		t.Errorf("approvals gate %s %v, want pass with two valid approvals", g.Status, g.ReasonCodes)
	}
}
