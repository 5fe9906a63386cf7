package gate

import (
	"fmt"
	"slices"
)

// Codes of an approval the API refuses (gate.md §4.2–4.4).
const (
	ApprovalSODViolation   = "SOD_VIOLATION"
	ApprovalNotEligible    = "APPROVER_NOT_ELIGIBLE"
	ApprovalDigestMismatch = "DIGEST_MISMATCH"
	ApprovalInvalidAction  = "INVALID_ACTION"
)

const (
	approvalActionApprove = "approve"
	approvalActionReject  = "reject"
)

// ApprovalError refuses an approval. Code is one of the Approval* codes,
// for the API to return as is.
type ApprovalError struct {
	Code       string
	ApproverID string
	Reason     string
}

func (e *ApprovalError) Error() string {
	return fmt.Sprintf("approval by %q refused (%s): %s", e.ApproverID, e.Code, e.Reason)
}

// CheckApproval says whether a may be recorded for a promotion of the
// release with releaseDigest, requested by requester, into env: the API
// calls it when the approval is given, and the approvals gate applies the
// same rules again at every evaluation. It returns an *ApprovalError.
func CheckApproval(env Environment, requester string, a Approval, releaseDigest string) error {
	refuse := func(code, format string, args ...any) error {
		return &ApprovalError{Code: code, ApproverID: a.ApproverID, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case a.Action != approvalActionApprove && a.Action != approvalActionReject:
		return refuse(ApprovalInvalidAction, "action %q: want approve or reject", a.Action)
	case a.System || a.ApproverID == "":
		return refuse(ApprovalNotEligible, "system actors and anonymous records never count")
	case a.ReleaseDigest != releaseDigest:
		return refuse(ApprovalDigestMismatch, "given for release %s, not %s", a.ReleaseDigest, releaseDigest)
	case env.RequireSeparationOfDuties && a.Action == approvalActionApprove && a.ApproverID == requester:
		return refuse(ApprovalSODViolation, "the requester may not approve their own promotion")
	case !eligibleApprover(env, a):
		return refuse(ApprovalNotEligible, "not in the approver groups or users of environment %s", env.Name)
	}
	return nil
}

// eligibleApprover: listed by name, or a member (now) of an approver group.
func eligibleApprover(env Environment, a Approval) bool {
	if slices.Contains(env.ApproverUsers, a.ApproverID) {
		return true
	}
	for _, g := range a.Groups {
		if slices.Contains(env.ApproverGroups, g) {
			return true
		}
	}
	return false
}

// approvalsType is the gate type whose results name the approvals a
// record lists (gate.md §7): a gate of this type (builtin.TypeApprovals)
// puts the approver ids it counted in its details, under "approvedBy" and
// "rejectedBy".
const approvalsType = "approvals"
