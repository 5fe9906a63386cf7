package gate

import (
	"slices"
	"testing"
	"time"
)

// The record lists the approvals that counted, not every one given.
func TestRecordListsCountedApprovals(t *testing.T) {
	in := engFixture()
	in.Environment.RequiredApprovals = 2
	in.Environment.RequireSeparationOfDuties = true
	in.Approvals = append(in.Approvals,
		Approval{ApproverID: "u-alice", Groups: []string{"release-managers"}, Action: "approve", At: engCutoff.Add(-2 * time.Hour), ReleaseDigest: engRelease},                 // the requester
		Approval{ApproverID: "u-dave", Groups: []string{"release-managers"}, Action: "approve", At: engCutoff.Add(-3 * time.Hour), ReleaseDigest: "sha256:" + engSnapshot[7:]}, // another digest
		Approval{ApproverID: "u-erin", Groups: []string{"qa"}, Action: "approve", At: engCutoff.Add(-4 * time.Hour), ReleaseDigest: engRelease},                                // not eligible
	)
	d := engDecide(t, in, WithConfig(Config{Gates: []GateConfig{{ID: "approvals", Type: TypeApprovals}}}))
	var got []string
	for _, a := range d.Approvals {
		got = append(got, a.ApproverID)
	}
	if !slices.Equal(got, []string{"u-bob", "u-carol"}) {
		t.Fatalf("record approvals %v, want the two that counted: u-bob, u-carol", got)
	}
	if g := d.Gates[0]; g.Status != StatusPass {
		t.Errorf("approvals gate %s %v, want pass with two valid approvals", g.Status, g.ReasonCodes)
	}
}
