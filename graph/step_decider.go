package graph

import (
	"context"
	"slices"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/tenant"
)

// StepDecider lets the security-gate and policy-gate workflow steps decide
// through the same path as decideRelease: the record is stored with its
// inputs and audit entry, at the server's clock, in the pre-deploy phase.
type StepDecider struct{ R *Resolver }

// Decide implements step.Decider. Gates or Policy narrow the answer to
// those gates of the record (the record itself is the environment's whole
// decision, so that it replays like any other).
func (d StepDecider) Decide(ctx context.Context, req step.DecideRequest) (step.Decision, error) {
	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: req.Tenant, Actor: runner.Actor})
	phase := gate.PhasePreDeploy
	gd, err := d.R.decide(ctx, req.Release, req.Environment, &phase, nil, true)
	if err != nil {
		return step.Decision{}, err
	}
	out := step.Decision{Decision: string(gd.Rec.Decision), ReasonCodes: gd.Rec.ReasonCodes, RecordDigest: gd.Rec.RecordDigest}
	if gd.Input != nil {
		for _, f := range gd.Input.Findings {
			switch {
			case !f.Active:
			case f.Severity == advisory.RatingCritical:
				out.CriticalCount++
			case f.Severity == advisory.RatingHigh:
				out.HighCount++
			}
		}
	}
	pick := func(g gate.GateRecord) bool { return slices.Contains(req.Gates, g.ID) }
	switch {
	case req.Policy != "":
		pick = func(g gate.GateRecord) bool { return g.Type == "policy" && g.ID == req.Policy }
	case len(req.Gates) == 0:
		return out, nil
	}
	var picked []gate.GateRecord
	for _, g := range gd.Rec.Gates {
		if pick(g) {
			picked = append(picked, g)
		}
	}
	if len(picked) == 0 {
		if req.Policy != "" {
			return step.Decision{}, fieldError("config.policy", "environment %q has no policy gate %q", req.Environment, req.Policy)
		}
		return step.Decision{}, fieldError("config.gates", "environment %q has none of the gates %v", req.Environment, req.Gates)
	}
	out.Decision, out.ReasonCodes = narrow(picked)
	return out, nil
}

// narrow decides over some gates of a record: any fail denies, then any
// pending waits, else allow.
func narrow(gs []gate.GateRecord) (string, []string) {
	outcome, codes := step.Allow, []string{}
	for _, g := range gs {
		switch g.Status {
		case gate.StatusFail:
			outcome = step.Deny
		case gate.StatusPending:
			if outcome != step.Deny {
				outcome = step.Pending
			}
		default:
			continue
		}
		codes = append(codes, g.ReasonCodes...)
	}
	slices.Sort(codes)
	return outcome, slices.Compact(codes)
}
