package gate_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/internal/fixture"
)

func approvalsEnv(n int) gate.Environment {
	return gate.Environment{Name: "prod", Tier: "production", RequiredApprovals: n,
		ApproverGroups: []string{"release-managers"}, RequireSeparationOfDuties: true}
}

func approval(who, action string, minute int) gate.Approval {
	return gate.Approval{ApproverID: who, Groups: []string{"release-managers"}, Action: action,
		At: fixture.Cutoff.Add(-time.Hour + time.Duration(minute)*time.Minute), ReleaseDigest: "sha256:rel2"}
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
		a    gate.Approval
		code string
	}{
		{"eligible approver", approval("u-bob", "approve", 0), ""},
		{"requester approving", approval("u-alice", "approve", 0), gate.ApprovalSODViolation},
		{"requester rejecting is allowed", approval("u-alice", "reject", 0), ""},
		{"outside approverGroups", notMember, gate.ApprovalNotEligible},
		{"system actor", system, gate.ApprovalNotEligible},
		{"other release", func() gate.Approval { a := approval("u-bob", "approve", 0); a.ReleaseDigest = "sha256:x"; return a }(), gate.ApprovalDigestMismatch},
		{"unknown action", approval("u-bob", "maybe", 0), gate.ApprovalInvalidAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gate.CheckApproval(env, "u-alice", tt.a, "sha256:rel2")
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *gate.ApprovalError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.ApproverID != tt.a.ApproverID {
				t.Fatalf("error = %v, want an *ApprovalError with code %s", err, tt.code)
			}
		})
	}
}
