package gate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// ValidateApprovers checks at configuration time that required approvals
// can be given by the eligible users (gate.md §4.1).
func ValidateApprovers(required int, eligibleUsers []string) error {
	e := &SettingError{Type: TypeApprovals, Setting: "requiredApprovals"}
	if required < 0 {
		e.Problem = fmt.Sprintf("must be ≥ 0, got %d", required)
		return e
	}
	if n := len(sortedUnique(eligibleUsers)); required > n {
		e.Problem = fmt.Sprintf("%d approvals required but only %d eligible approver(s)", required, n)
		return e
	}
	return nil
}

// approvalsSettings may override the environment's approval rules; unset
// fields come from the environment.
type approvalsSettings struct {
	RequiredApprovals         *int     `json:"requiredApprovals,omitempty"`
	ApproverGroups            []string `json:"approverGroups,omitempty"`
	ApproverUsers             []string `json:"approverUsers,omitempty"`
	RequireSeparationOfDuties *bool    `json:"requireSeparationOfDuties,omitempty"`
}

func defaultApprovalsSettings() approvalsSettings { return approvalsSettings{} }

func (s approvalsSettings) validate() error {
	if s.RequiredApprovals == nil {
		return nil
	}
	n := *s.RequiredApprovals
	if n < 0 {
		return settingErr("requiredApprovals", "must be ≥ 0, got %d", n)
	}
	if len(s.ApproverGroups) == 0 && len(s.ApproverUsers) > 0 {
		// Only named users: the eligible set is known now.
		return ValidateApprovers(n, s.ApproverUsers)
	}
	return nil
}

// apply returns env with the overrides set in s.
func (s approvalsSettings) apply(env Environment) Environment {
	if s.RequiredApprovals != nil {
		env.RequiredApprovals = *s.RequiredApprovals
	}
	if s.ApproverGroups != nil {
		env.ApproverGroups = s.ApproverGroups
	}
	if s.ApproverUsers != nil {
		env.ApproverUsers = s.ApproverUsers
	}
	if s.RequireSeparationOfDuties != nil {
		env.RequireSeparationOfDuties = *s.RequireSeparationOfDuties
	}
	return env
}

// approvalsGate counts N of M approvals (gate.md §4). Every record is
// checked again with CheckApproval, so an approver who left the approver
// groups, an approval for another release digest or the requester's own
// approval under separation of duties does not count.
type approvalsGate struct {
	builtinBase
	s approvalsSettings
}

func newApprovalsGate(b builtinBase, s approvalsSettings) Gate { return &approvalsGate{b, s} }

// approvalReasons maps refusal codes to the gate's reason codes.
func approvalReason(code string) string {
	switch code {
	case ApprovalSODViolation:
		return "sod-violation"
	case ApprovalNotEligible:
		return "ineligible"
	case ApprovalDigestMismatch:
		return "digest-mismatch"
	}
	return "invalid-action"
}

func (g *approvalsGate) Evaluate(_ context.Context, in *Input) (Result, error) {
	env := g.s.apply(in.Environment)
	need := env.RequiredApprovals
	v := newVerdict(g.typ)
	if need <= 0 {
		return v.result("no approvals required", map[string]any{"have": 0, "need": 0}), nil
	}
	records := slices.Clone(in.Approvals)
	slices.SortStableFunc(records, func(a, b Approval) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ApproverID, b.ApproverID))
	})
	// One approver counts once: their latest valid record is their answer,
	// except that any valid reject stands (gate.md §4.6).
	latest := map[string]Approval{}
	rejected := map[string]bool{}
	var ignored []map[string]any
	for _, a := range records {
		err := CheckApproval(env, in.Requester.ID, a, in.Release.Digest)
		var refused *ApprovalError
		if errors.As(err, &refused) {
			reason := approvalReason(refused.Code)
			if !a.System && reason != "invalid-action" {
				v.add(StatusPass, reason)
			}
			if a.System {
				reason = "system-actor"
			}
			ignored = append(ignored, map[string]any{
				"approverId": a.ApproverID, "action": a.Action, "at": utc(a.At), "reason": g.typ + "." + reason,
			})
			continue
		}
		latest[a.ApproverID] = a
		if a.Action == approvalActionReject {
			rejected[a.ApproverID] = true
		}
	}
	var approvedBy, rejectedBy []string
	for id, a := range latest {
		if rejected[id] || a.Action == approvalActionReject {
			rejectedBy = append(rejectedBy, id)
		} else {
			approvedBy = append(approvedBy, id)
		}
	}
	slices.Sort(approvedBy)
	slices.Sort(rejectedBy)
	have := len(approvedBy)
	details := map[string]any{
		"have": have, "need": need,
		"approvedBy": sortedUnique(approvedBy), "rejectedBy": sortedUnique(rejectedBy),
		"ignored": anyList(ignored),
	}
	var msg string
	switch {
	case len(rejectedBy) > 0:
		v.add(StatusFail, "rejected")
		msg = "rejected by " + strings.Join(rejectedBy, ", ")
	case have < need:
		v.add(StatusPending, "missing")
		msg = fmt.Sprintf("%d of %d approvals", have, need)
	default:
		msg = fmt.Sprintf("approved by %s", strings.Join(approvedBy, ", "))
	}
	return v.result(msg, details), nil
}
