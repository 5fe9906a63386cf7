package builtin

import (
	"errors"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
)

func approvalsEnv(n int) gate.Environment {
	return gate.Environment{Name: "prod", Tier: "production", RequiredApprovals: n,
		ApproverGroups: []string{"release-managers"}, RequireSeparationOfDuties: true}
}

func approval(who, action string, minute int) gate.Approval {
	return gate.Approval{ApproverID: who, Groups: []string{"release-managers"}, Action: action,
		At: testCutoff.Add(-time.Hour + time.Duration(minute)*time.Minute), ReleaseDigest: "sha256:rel2"}
}

// Acceptance check 8, as the gate sees it.
func TestApprovals(t *testing.T) {
	outsider := approval("u-eve", "approve", 3)
	outsider.Groups = []string{"dev"}
	otherRelease := approval("u-carol", "approve", 2)
	otherRelease.ReleaseDigest = "sha256:rel1"
	system := approval("stella", "approve", 4)
	system.System = true
	requester := approval("u-alice", "approve", 1)
	requester.Groups = []string{"release-managers"}

	tests := []struct {
		name      string
		n         int
		approvals []gate.Approval
		status    gate.Status
		codes     []string
		have      int
		ignored   []string // reasons, in order
	}{
		{"N=0 passes", 0, nil, gate.StatusPass, nil, 0, nil},
		{"N=2, none", 2, nil, gate.StatusPending, []string{"approvals.missing"}, 0, []string{}},
		{"N=2, one approval", 2, []gate.Approval{approval("u-bob", "approve", 1)},
			gate.StatusPending, []string{"approvals.missing"}, 1, []string{}},
		{"N=2, two valid approvals", 2, []gate.Approval{approval("u-bob", "approve", 1), approval("u-carol", "approve", 2)},
			gate.StatusPass, nil, 2, []string{}},
		{"one rejection denies", 2,
			[]gate.Approval{approval("u-bob", "approve", 1), approval("u-carol", "approve", 2), approval("u-dan", "reject", 3)},
			gate.StatusFail, []string{"approvals.rejected"}, 2, []string{}},
		{"approval for another release digest is void", 2, []gate.Approval{approval("u-bob", "approve", 1), otherRelease},
			gate.StatusPending, []string{"approvals.digest-mismatch", "approvals.missing"}, 1, []string{"approvals.digest-mismatch"}},
		{"requester approval ignored under SoD", 2, []gate.Approval{requester, approval("u-bob", "approve", 2)},
			gate.StatusPending, []string{"approvals.missing", "approvals.sod-violation"}, 1, []string{"approvals.sod-violation"}},
		{"approver outside the groups ignored", 2, []gate.Approval{approval("u-bob", "approve", 1), outsider},
			gate.StatusPending, []string{"approvals.ineligible", "approvals.missing"}, 1, []string{"approvals.ineligible"}},
		{"one approver counts once", 2, []gate.Approval{approval("u-bob", "approve", 1), approval("u-bob", "approve", 5)},
			gate.StatusPending, []string{"approvals.missing"}, 1, []string{}},
		{"system actors never count", 1, []gate.Approval{system},
			gate.StatusPending, []string{"approvals.missing"}, 0, []string{"approvals.system-actor"}},
		{"a rejection by an ineligible user does not deny", 1, []gate.Approval{approval("u-bob", "approve", 1), func() gate.Approval {
			a := approval("u-eve", "reject", 2)
			a.Groups = nil
			return a
		}()}, gate.StatusPass, []string{"approvals.ineligible"}, 1, []string{"approvals.ineligible"}},
		{"a reject stands even if the approver approves later", 1, []gate.Approval{approval("u-bob", "reject", 1), approval("u-bob", "approve", 2)},
			gate.StatusFail, []string{"approvals.rejected"}, 0, []string{}},
		{"an approver's repeated approval counts once", 2, []gate.Approval{approval("u-bob", "approve", 1), approval("u-bob", "approve", 2)},
			gate.StatusPending, []string{"approvals.missing"}, 1, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInput()
			in.Environment = approvalsEnv(tt.n)
			in.Approvals = tt.approvals
			r := evaluate(t, newTestGate(t, TypeApprovals, nil), in)
			wantResult(t, r, tt.status, tt.codes...)
			wantDetail(t, r, "have", tt.have)
			wantDetail(t, r, "need", tt.n)
			if tt.ignored == nil {
				return
			}
			got := []string{}
			for _, e := range r.Details["ignored"].([]any) {
				got = append(got, e.(map[string]any)["reason"].(string))
			}
			if len(got) != len(tt.ignored) || (len(got) > 0 && got[0] != tt.ignored[0]) {
				t.Errorf("ignored = %q, want %q", got, tt.ignored)
			}
		})
	}

	t.Run("eligibility is re-checked at evaluation", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(1)
		left := approval("u-bob", "approve", 1)
		left.Groups = []string{"former-release-managers"} // groups now, not when approving
		in.Approvals = []gate.Approval{left}
		wantResult(t, evaluate(t, newTestGate(t, TypeApprovals, nil), in), gate.StatusPending, "approvals.ineligible", "approvals.missing")
	})
	t.Run("listed users are eligible without a group", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(1)
		in.Environment.ApproverUsers = []string{"u-frank"}
		a := approval("u-frank", "approve", 1)
		a.Groups = nil
		in.Approvals = []gate.Approval{a}
		r := evaluate(t, newTestGate(t, TypeApprovals, nil), in)
		wantResult(t, r, gate.StatusPass)
		wantDetail(t, r, "approvedBy", []string{"u-frank"})
	})
	t.Run("without SoD the requester may approve", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(1)
		in.Environment.RequireSeparationOfDuties = false
		in.Approvals = []gate.Approval{requester}
		wantResult(t, evaluate(t, newTestGate(t, TypeApprovals, nil), in), gate.StatusPass)
	})
	t.Run("settings override the environment", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(2)
		in.Approvals = []gate.Approval{approval("u-bob", "approve", 1)}
		g := newTestGate(t, TypeApprovals, map[string]any{"requiredApprovals": 1})
		wantResult(t, evaluate(t, g, in), gate.StatusPass)
	})
}

func TestValidateApprovers(t *testing.T) {
	if err := ValidateApprovers(2, []string{"u-bob", "u-carol"}); err != nil {
		t.Errorf("2 of 2: %v", err)
	}
	if err := ValidateApprovers(0, nil); err != nil {
		t.Errorf("0 of 0: %v", err)
	}
	var se *SettingError
	// Duplicates are one user.
	if err := ValidateApprovers(2, []string{"u-bob", "u-bob"}); !errors.As(err, &se) || se.Setting != "requiredApprovals" {
		t.Errorf("2 of one user: error = %v, want a requiredApprovals *SettingError", err)
	}
	if err := ValidateApprovers(-1, []string{"u-bob"}); !errors.As(err, &se) {
		t.Errorf("-1: error = %v", err)
	}
}
