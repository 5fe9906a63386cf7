package release

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
)

// Approver is the person giving an approval, with their groups as of now.
type Approver struct {
	ID     string
	Name   string
	Groups []string
}

// CanApprove says whether by may approve or reject p now. The rules are the
// approvals gate's own (gate.CheckApproval), checked when the approval is
// given so that the API refuses what the gate would ignore:
//
//   - p must be waiting on gates or approvals (*fault.ConflictError
//     otherwise; a terminal, approved or deploying promotion takes none);
//   - system actors never approve (*fault.PreconditionError,
//     APPROVER_NOT_ELIGIBLE);
//   - under separation of duties the requester may not approve
//     (SOD_VIOLATION); rejecting their own promotion is allowed, as the gate
//     counts it;
//   - the approver must be in env's approverGroups or approverUsers
//     (APPROVER_NOT_ELIGIBLE).
//
// env is the approval policy as the gate evaluates it: Environment.GateEnvironment,
// with the approvals gate's settings applied where they override it.
func CanApprove(p Promotion, by Approver, action ApprovalAction, env gate.Environment) error {
	v := validator{}
	v.check(by.ID != "", "approverId", "is required")
	v.check(action == ActionApprove || action == ActionReject, "action", "%q is not one of approve, reject", action)
	if err := v.err(); err != nil {
		return err
	}
	if !p.Status.Pending() {
		return &fault.ConflictError{Kind: "promotion", Key: p.ID,
			Reason: fmt.Sprintf("is %s; approvals are taken only while it is %s or %s", p.Status, PromotionPendingGate, PromotionPendingApproval)}
	}
	a := gate.Approval{ApproverID: by.ID, Groups: by.Groups, Action: string(action), ReleaseDigest: p.ReleaseDigest,
		System: IsSystemActor(by.ID)}
	err := gate.CheckApproval(env, p.RequestedBy, a, p.ReleaseDigest)
	var refused *gate.ApprovalError
	if errors.As(err, &refused) {
		return &fault.PreconditionError{Kind: "promotion", Key: p.ID, Code: refused.Code,
			Reason: fmt.Sprintf("%s may not %s: %s", by.ID, action, refused.Reason)}
	}
	return err
}

// NewApproval is the record of by's answer on p, checked by CanApprove and
// bound to p's release digest.
func NewApproval(id string, p Promotion, by Approver, action ApprovalAction, comment string, env gate.Environment, at time.Time) (Approval, error) {
	if id == "" {
		return Approval{}, fault.Invalid("id", "is required")
	}
	if err := CanApprove(p, by, action, env); err != nil {
		return Approval{}, err
	}
	return Approval{ID: id, TenantID: p.TenantID, PromotionID: p.ID, ReleaseDigest: p.ReleaseDigest,
		ApproverID: by.ID, ApproverName: by.Name, Groups: sortedSet(by.Groups), Action: action, Comment: comment, At: at.UTC()}, nil
}

// GateApprovals converts a promotion's approvals for the approvals gate,
// ordered by time, then approver. The gate checks eligibility again at every
// evaluation (gate.md §4.3): groupsNow returns an approver's groups as they
// are now, so one who left the approver groups no longer counts; nil keeps
// the groups recorded with each approval. Digests are passed through, not
// checked: an approval for another release digest is void, and the gate says
// so in its details.
func GateApprovals(as []Approval, groupsNow func(approverID string) []string) []gate.Approval {
	out := make([]gate.Approval, len(as))
	for i, a := range as {
		groups := a.Groups
		if groupsNow != nil {
			groups = groupsNow(a.ApproverID)
		}
		out[i] = gate.Approval{ApproverID: a.ApproverID, Groups: sortedSet(groups), Action: string(a.Action), At: a.At.UTC(),
			ReleaseDigest: a.ReleaseDigest, System: IsSystemActor(a.ApproverID)}
	}
	slices.SortStableFunc(out, func(a, b gate.Approval) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ApproverID, b.ApproverID)
	})
	return out
}
