package builtin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate"
)

// actionReject is an Approval.Action that rejects the promotion.
const actionReject = "reject"

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
func (s approvalsSettings) apply(env gate.Environment) gate.Environment {
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
	base
	s approvalsSettings
}

func newApprovalsGate(b base, s approvalsSettings) gate.Gate { return &approvalsGate{b, s} }

// approvalReasons maps refusal codes to the gate's reason codes.
func approvalReason(code string) string {
	switch code {
	case gate.ApprovalSODViolation:
		return "sod-violation"
	case gate.ApprovalNotEligible:
		return "ineligible"
	case gate.ApprovalDigestMismatch:
		return "digest-mismatch"
	}
	return "invalid-action"
}

func (g *approvalsGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	env := g.s.apply(in.Environment)
	need := env.RequiredApprovals
	v := newVerdict(g.typ)
	if need <= 0 {
		return v.result("no approvals required", map[string]any{"have": 0, "need": 0}), nil
	}
	records := slices.Clone(in.Approvals)
	slices.SortStableFunc(records, func(a, b gate.Approval) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ApproverID, b.ApproverID))
	})
	// One approver counts once: their latest valid record is their answer,
	// except that any valid reject stands (gate.md §4.6).
	latest := map[string]gate.Approval{}
	rejected := map[string]bool{}
	var ignored []map[string]any
	for _, a := range records {
		err := gate.CheckApproval(env, in.Requester.ID, a, in.Release.Digest)
		var refused *gate.ApprovalError
		if errors.As(err, &refused) {
			reason := approvalReason(refused.Code)
			if !a.System && reason != "invalid-action" {
				v.add(gate.StatusPass, reason)
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
		if a.Action == actionReject {
			rejected[a.ApproverID] = true
		}
	}
	var approvedBy, rejectedBy []string
	for id, a := range latest {
		if rejected[id] || a.Action == actionReject {
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
		v.add(gate.StatusFail, "rejected")
		msg = "rejected by " + strings.Join(rejectedBy, ", ")
	case have < need:
		v.add(gate.StatusPending, "missing")
		msg = fmt.Sprintf("%d of %d approvals", have, need)
	default:
		msg = fmt.Sprintf("approved by %s", strings.Join(approvedBy, ", "))
	}
	return v.result(msg, details), nil
}
