package release_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/release"
)

// prodApprovals: two approvals from release-managers (or bob), requester
// may not approve.
func prodApprovals() gate.Environment {
	return gate.Environment{ID: "env-prod", Name: "prod", Tier: "production", RequiredApprovals: 2,
		ApproverGroups: []string{"release-managers"}, ApproverUsers: []string{"bob"}, RequireSeparationOfDuties: true}
}

func TestCanApprove(t *testing.T) {
	manager := func(id string) release.Approver {
		return release.Approver{ID: id, Name: strings.ToUpper(id), Groups: []string{"dev", "release-managers"}}
	}
	for _, c := range []struct {
		name   string
		status release.PromotionStatus
		by     release.Approver
		action release.ApprovalAction
		kind   error
		code   string
	}{
		{"a manager approves", pendingApproval, manager("carol"), release.ActionApprove, nil, ""},
		{"a listed user approves", pendingApproval, release.Approver{ID: "bob"}, release.ActionApprove, nil, ""},
		{"approvals may come while other gates are pending", pendingGate, manager("carol"), release.ActionApprove, nil, ""},
		{"a manager rejects", pendingApproval, manager("carol"), release.ActionReject, nil, ""},
		{"the requester may reject their own", pendingApproval, manager("alice"), release.ActionReject, nil, ""},
		{"the requester may not approve their own", pendingApproval, manager("alice"), release.ActionApprove, fault.ErrPrecondition, gate.ApprovalSODViolation},
		{"not in the approver groups", pendingApproval, release.Approver{ID: "dave", Groups: []string{"dev"}}, release.ActionApprove, fault.ErrPrecondition, gate.ApprovalNotEligible},
		{"a system actor never approves", pendingApproval, release.Approver{ID: release.AutoPromoteActor, Groups: []string{"release-managers"}}, release.ActionApprove, fault.ErrPrecondition, gate.ApprovalNotEligible},
		{"not pending yet", requested, manager("carol"), release.ActionApprove, fault.ErrConflict, ""},
		{"already approved", approved, manager("carol"), release.ActionApprove, fault.ErrConflict, ""},
		{"deploying", deploying, manager("carol"), release.ActionReject, fault.ErrConflict, ""},
		{"terminal", cancelled, manager("carol"), release.ActionApprove, fault.ErrConflict, ""},
		{"unknown action", pendingApproval, manager("carol"), "lgtm", fault.ErrValidation, ""},
		{"anonymous", pendingApproval, release.Approver{}, release.ActionApprove, fault.ErrValidation, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := release.CanApprove(promotionIn(c.status), c.by, c.action, prodApprovals())
			if c.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			var pre *fault.PreconditionError
			if errors.As(err, &pre) != (c.code != "") || (pre != nil && pre.Code != c.code) {
				t.Fatalf("err = %#v, want code %q", err, c.code)
			}
		})
	}
}

func TestNewApproval(t *testing.T) {
	p := promotionIn(pendingApproval)
	by := release.Approver{ID: "carol", Name: "Carol", Groups: []string{"release-managers", "dev", "dev"}}
	a, err := release.NewApproval("ap-1", p, by, release.ActionApprove, "looks good", prodApprovals(), t0.In(time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	want := release.Approval{ID: "ap-1", TenantID: "acme", PromotionID: "p1", ReleaseDigest: "sha256:aa", ApproverID: "carol",
		ApproverName: "Carol", Groups: []string{"dev", "release-managers"}, Action: release.ActionApprove, Comment: "looks good", At: t0}
	if !reflect.DeepEqual(a, want) || a.At.Location() != time.UTC {
		t.Fatalf("got  %+v\nwant %+v", a, want)
	}
	if _, err := release.NewApproval("ap-2", p, release.Approver{ID: "alice", Groups: []string{"release-managers"}}, release.ActionApprove, "", prodApprovals(), t0); !errors.Is(err, fault.ErrPrecondition) {
		t.Fatalf("requester: %v", err)
	}
}

// GateApprovals hands the gate what it needs to judge each record again
// (gate.CheckApproval, the rule the approvals gate applies): one given for
// another release digest is void, and an approver who left the approver
// groups since no longer counts.
func TestGateApprovalsAreJudgedAgainByTheGate(t *testing.T) {
	p := promotionIn(pendingApproval)
	approval := func(id string, at int, digest string) release.Approval {
		return release.Approval{ID: "ap-" + id, PromotionID: p.ID, ReleaseDigest: digest, ApproverID: id,
			Groups: []string{"release-managers"}, Action: release.ActionApprove, At: t0.Add(time.Duration(at) * time.Minute)}
	}
	all := []release.Approval{approval("erin", 3, p.ReleaseDigest), approval("carol", 1, p.ReleaseDigest), approval("frank", 2, "sha256:bb")}

	converted := release.GateApprovals(all, nil)
	want := []gate.Approval{
		{ApproverID: "carol", Groups: []string{"release-managers"}, Action: "approve", At: t0.Add(time.Minute), ReleaseDigest: p.ReleaseDigest},
		{ApproverID: "frank", Groups: []string{"release-managers"}, Action: "approve", At: t0.Add(2 * time.Minute), ReleaseDigest: "sha256:bb"},
		{ApproverID: "erin", Groups: []string{"release-managers"}, Action: "approve", At: t0.Add(3 * time.Minute), ReleaseDigest: p.ReleaseDigest},
	}
	if !reflect.DeepEqual(converted, want) {
		t.Fatalf("got  %+v\nwant %+v", converted, want)
	}
	if got := judged(p, converted); !reflect.DeepEqual(got, map[string]string{"carol": "", "erin": "", "frank": gate.ApprovalDigestMismatch}) {
		t.Fatalf("judged %v", got)
	}

	groupsNow := func(id string) []string {
		if id == "erin" {
			return []string{"dev"} // erin has left release-managers since she approved
		}
		return []string{"release-managers"}
	}
	if got := judged(p, release.GateApprovals(all, groupsNow)); got["erin"] != gate.ApprovalNotEligible || got["carol"] != "" {
		t.Fatalf("after erin left: %v", got)
	}
	// A record a system actor somehow left is marked, and never counts.
	sys := release.GateApprovals([]release.Approval{approval(release.AutoPromoteActor, 4, p.ReleaseDigest)}, nil)
	if !sys[0].System || judged(p, sys)[release.AutoPromoteActor] != gate.ApprovalNotEligible {
		t.Fatalf("system approval %+v", sys)
	}
}

// judged maps each approver to the gate's refusal code, "" when it counts.
func judged(p release.Promotion, as []gate.Approval) map[string]string {
	out := map[string]string{}
	for _, a := range as {
		var refused *gate.ApprovalError
		if errors.As(gate.CheckApproval(prodApprovals(), p.RequestedBy, a, p.ReleaseDigest), &refused) {
			out[a.ApproverID] = refused.Code
		} else {
			out[a.ApproverID] = ""
		}
	}
	return out
}
