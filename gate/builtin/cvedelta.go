package builtin

import (
	"context"
	"fmt"
	"math"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
)

type cveDeltaSettings struct {
	NewSeverityThreshold float64 `json:"newSeverityThreshold"`
	OnlyBlockReachable   bool    `json:"onlyBlockReachable"`
}

func defaultCVEDeltaSettings() cveDeltaSettings {
	return cveDeltaSettings{NewSeverityThreshold: 7.0}
}

func (s cveDeltaSettings) validate() error {
	t := s.NewSeverityThreshold
	if math.IsNaN(t) || t < 0 || t > 10 {
		return settingErr("newSeverityThreshold", "must be a CVSS score between 0 and 10, got %v", t)
	}
	return nil
}

// cveDeltaGate blocks severe vulnerabilities the release would introduce
// compared with the release deployed in the target environment now.
type cveDeltaGate struct {
	base
	s cveDeltaSettings
}

func newCVEDeltaGate(b base, s cveDeltaSettings) gate.Gate { return &cveDeltaGate{b, s} }

func (g *cveDeltaGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	var baseline []gate.Finding
	details := map[string]any{"newSeverityThreshold": g.s.NewSeverityThreshold, "baselineReleaseDigest": ""}
	if in.Baseline != nil {
		baseline = in.Baseline.Findings
		details["baselineReleaseDigest"] = in.Baseline.ReleaseDigest
	} else {
		// Everything is new; that alone is no reason to block.
		details["notes"] = []string{g.typ + ".no-baseline"}
	}
	// One partition over both releases, so an alias renamed between them
	// is still the same vulnerability.
	groups := newAliasGroups(in.Findings, baseline)
	known := map[[2]string]bool{}
	for i := range baseline {
		known[[2]string{groups.of(&baseline[i]), packageKey(&baseline[i])}] = true
	}
	v := newVerdict(g.typ)
	var severe, unreachable []map[string]any
	newCount := 0
	for _, f := range sortedFindings(in.Findings) {
		if !f.Active || known[[2]string{groups.of(f), packageKey(f)}] {
			continue
		}
		newCount++
		if !g.severe(f) {
			continue
		}
		ref := findingRef(f)
		if f.CVSS != nil {
			ref["cvss"] = *f.CVSS
		}
		if g.s.OnlyBlockReachable && f.Reachable != nil && !*f.Reachable {
			unreachable = append(unreachable, ref)
			continue
		}
		severe = append(severe, ref)
	}
	details["newFindings"] = newCount
	details["newSevere"] = anyList(severe)
	details["newSevereUnreachable"] = anyList(unreachable)
	msg := fmt.Sprintf("%d new active finding(s), none severe", newCount)
	if len(severe) > 0 {
		v.add(gate.StatusFail, "new-severe")
		msg = fmt.Sprintf("%d new severe finding(s) compared with the deployed release", len(severe))
	}
	return v.result(msg, details), nil
}

// severe judges by CVSS score, or by label when there is no score or an
// exception has downgraded the finding (the downgrade is in the label).
func (g *cveDeltaGate) severe(f *gate.Finding) bool {
	downgraded := f.Exception != nil && f.Exception.Effect == exception.Downgrade
	if f.CVSS != nil && !downgraded {
		return *f.CVSS >= g.s.NewSeverityThreshold
	}
	return findingSeverity(f).AtLeast(advisory.RatingHigh)
}
