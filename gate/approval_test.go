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
		At: engCutoff.Add(-time.Hour + time.Duration(minute)*time.Minute), ReleaseDigest: "sha256:rel2"}
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
