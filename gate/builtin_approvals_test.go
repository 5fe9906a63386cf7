package gate

import (
	"errors"
	"testing"
	"time"
)

func approvalsEnv(n int) Environment {
	return Environment{Name: "prod", Tier: "production", RequiredApprovals: n,
		ApproverGroups: []string{"release-managers"}, RequireSeparationOfDuties: true}
}

func approval(who, action string, minute int) Approval {
	return Approval{ApproverID: who, Groups: []string{"release-managers"}, Action: action,
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
		approvals []Approval
		status    Status
		codes     []string
		have      int
		ignored   []string // reasons, in order
	}{
		{"N=0 passes", 0, nil, StatusPass, nil, 0, nil},
		{"N=2, none", 2, nil, StatusPending, []string{"approvals.missing"}, 0, []string{}},
		{"N=2, one approval", 2, []Approval{approval("u-bob", "approve", 1)},
			StatusPending, []string{"approvals.missing"}, 1, []string{}},
		{"N=2, two valid approvals", 2, []Approval{approval("u-bob", "approve", 1), approval("u-carol", "approve", 2)},
			StatusPass, nil, 2, []string{}},
		{"one rejection denies", 2,
			[]Approval{approval("u-bob", "approve", 1), approval("u-carol", "approve", 2), approval("u-dan", "reject", 3)},
			StatusFail, []string{"approvals.rejected"}, 2, []string{}},
		{"approval for another release digest is void", 2, []Approval{approval("u-bob", "approve", 1), otherRelease},
			StatusPending, []string{"approvals.digest-mismatch", "approvals.missing"}, 1, []string{"approvals.digest-mismatch"}},
		{"requester approval ignored under SoD", 2, []Approval{requester, approval("u-bob", "approve", 2)},
			StatusPending, []string{"approvals.missing", "approvals.sod-violation"}, 1, []string{"approvals.sod-violation"}},
		{"approver outside the groups ignored", 2, []Approval{approval("u-bob", "approve", 1), outsider},
			StatusPending, []string{"approvals.ineligible", "approvals.missing"}, 1, []string{"approvals.ineligible"}},
		{"one approver counts once", 2, []Approval{approval("u-bob", "approve", 1), approval("u-bob", "approve", 5)},
			StatusPending, []string{"approvals.missing"}, 1, []string{}},
		{"system actors never count", 1, []Approval{system},
			StatusPending, []string{"approvals.missing"}, 0, []string{"approvals.system-actor"}},
		{"a rejection by an ineligible user does not deny", 1, []Approval{approval("u-bob", "approve", 1), func() Approval {
			a := approval("u-eve", "reject", 2)
			a.Groups = nil
			return a
		}()}, StatusPass, []string{"approvals.ineligible"}, 1, []string{"approvals.ineligible"}},
		{"a reject stands even if the approver approves later", 1, []Approval{approval("u-bob", "reject", 1), approval("u-bob", "approve", 2)},
			StatusFail, []string{"approvals.rejected"}, 0, []string{}},
		{"an approver's repeated approval counts once", 2, []Approval{approval("u-bob", "approve", 1), approval("u-bob", "approve", 2)},
			StatusPending, []string{"approvals.missing"}, 1, []string{}},
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
		in.Approvals = []Approval{left}
		wantResult(t, evaluate(t, newTestGate(t, TypeApprovals, nil), in), StatusPending, "approvals.ineligible", "approvals.missing")
	})
	t.Run("listed users are eligible without a group", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(1)
		in.Environment.ApproverUsers = []string{"u-frank"}
		a := approval("u-frank", "approve", 1)
		a.Groups = nil
		in.Approvals = []Approval{a}
		r := evaluate(t, newTestGate(t, TypeApprovals, nil), in)
		wantResult(t, r, StatusPass)
		wantDetail(t, r, "approvedBy", []string{"u-frank"})
	})
	t.Run("without SoD the requester may approve", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(1)
		in.Environment.RequireSeparationOfDuties = false
		in.Approvals = []Approval{requester}
		wantResult(t, evaluate(t, newTestGate(t, TypeApprovals, nil), in), StatusPass)
	})
	t.Run("settings override the environment", func(t *testing.T) {
		in := newInput()
		in.Environment = approvalsEnv(2)
		in.Approvals = []Approval{approval("u-bob", "approve", 1)}
		g := newTestGate(t, TypeApprovals, map[string]any{"requiredApprovals": 1})
		wantResult(t, evaluate(t, g, in), StatusPass)
	})
}

// Acceptance check 8, as the API sees it.
func TestCheckApproval(t *testing.T) {
	env := approvalsEnv(2)
	notMember := approval("u-eve", "approve", 0)
	notMember.Groups = []string{"dev"}
	system := approval("stella", "approve", 0)
	system.System = true
	tests := []struct {
		name string
		a    Approval
		code string
	}{
		{"eligible approver", approval("u-bob", "approve", 0), ""},
		{"requester approving", approval("u-alice", "approve", 0), ApprovalSODViolation},
		{"requester rejecting is allowed", approval("u-alice", "reject", 0), ""},
		{"outside approverGroups", notMember, ApprovalNotEligible},
		{"system actor", system, ApprovalNotEligible},
		{"other release", func() Approval { a := approval("u-bob", "approve", 0); a.ReleaseDigest = "sha256:x"; return a }(), ApprovalDigestMismatch},
		{"unknown action", approval("u-bob", "maybe", 0), ApprovalInvalidAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckApproval(env, "u-alice", tt.a, "sha256:rel2")
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *ApprovalError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.ApproverID != tt.a.ApproverID {
				t.Fatalf("error = %v, want an *ApprovalError with code %s", err, tt.code)
			}
		})
	}
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
