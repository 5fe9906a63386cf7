package builtin

import (
	"context"
	"fmt"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
)

type securitySettings struct {
	FailSeverity  advisory.Rating `json:"failSeverity"`
	WarnSeverity  advisory.Rating `json:"warnSeverity"`
	OnlyFixable   bool            `json:"onlyFixable"`
	OnlyReachable bool            `json:"onlyReachable"`
}

func defaultSecuritySettings() securitySettings {
	return securitySettings{FailSeverity: advisory.RatingCritical, WarnSeverity: advisory.RatingHigh}
}

func (s securitySettings) validate() error {
	if err := checkThreshold("failSeverity", s.FailSeverity); err != nil {
		return err
	}
	if err := checkThreshold("warnSeverity", s.WarnSeverity); err != nil {
		return err
	}
	if !s.FailSeverity.AtLeast(s.WarnSeverity) {
		return settingErr("warnSeverity", "%s is above failSeverity %s", s.WarnSeverity, s.FailSeverity)
	}
	return nil
}

// securityGate fails on active findings at or above failSeverity and warns
// on those at or above warnSeverity.
type securityGate struct {
	base
	s securitySettings
}

func newSecurityGate(b base, s securitySettings) gate.Gate { return &securityGate{b, s} }

func (g *securityGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	v := newVerdict(g.typ)
	var exceeded, warnings []map[string]any
	for _, f := range sortedFindings(in.Findings) {
		sev := findingSeverity(f)
		if !f.Active || !sev.AtLeast(g.s.WarnSeverity) {
			continue
		}
		ref := findingRef(f)
		ref["fixState"] = f.FixState
		switch {
		case !sev.AtLeast(g.s.FailSeverity):
			warnings = append(warnings, ref)
		case g.s.OnlyFixable && f.FixState != "fixed":
			ref["downgradedBy"] = "onlyFixable"
			warnings = append(warnings, ref)
		case g.s.OnlyReachable && f.Reachable != nil && !*f.Reachable:
			ref["downgradedBy"] = "onlyReachable"
			warnings = append(warnings, ref)
		default:
			exceeded = append(exceeded, ref)
		}
	}
	msg := fmt.Sprintf("no active finding at or above %s", g.s.WarnSeverity)
	if len(warnings) > 0 {
		v.add(gate.StatusWarn, "severity-warning")
		msg = fmt.Sprintf("%d active finding(s) to review", len(warnings))
	}
	if len(exceeded) > 0 {
		v.add(gate.StatusFail, "severity-exceeded")
		msg = fmt.Sprintf("%d active finding(s) at or above %s", len(exceeded), g.s.FailSeverity)
	}
	return v.result(msg, map[string]any{
		"failSeverity": string(g.s.FailSeverity),
		"warnSeverity": string(g.s.WarnSeverity),
		"exceeded":     anyList(exceeded),
		"warnings":     anyList(warnings),
	}), nil
}
