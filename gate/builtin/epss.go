package builtin

import (
	"context"
	"fmt"
	"math"

	"github.com/stella-ops/stella/gate"
)

type epssSettings struct {
	Threshold float64 `json:"threshold"`
}

func defaultEPSSSettings() epssSettings { return epssSettings{Threshold: 0.6} }

func (s epssSettings) validate() error {
	if math.IsNaN(s.Threshold) || s.Threshold < 0 || s.Threshold > 1 {
		return settingErr("threshold", "must be between 0 and 1, got %v", s.Threshold)
	}
	return nil
}

// epssGate fails on active findings likely to be exploited soon. Without
// an EPSS snapshot it cannot tell, so it fails closed.
type epssGate struct {
	base
	s epssSettings
}

func newEPSSGate(b base, s epssSettings) gate.Gate { return &epssGate{b, s} }

func (g *epssGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	v := newVerdict(g.typ)
	details := map[string]any{"threshold": g.s.Threshold, "snapshot": in.EPSSSnapshot}
	if in.EPSSSnapshot == "" {
		v.add(gate.StatusFail, "data-missing")
		return v.result("no EPSS snapshot to judge findings by", details), nil
	}
	var exceeded, unscored []map[string]any
	for _, f := range sortedFindings(in.Findings) {
		if !f.Active {
			continue
		}
		ref := findingRef(f)
		switch {
		case f.EPSS == nil:
			unscored = append(unscored, ref)
		case f.EPSS.Score >= g.s.Threshold:
			ref["score"] = f.EPSS.Score
			ref["percentile"] = f.EPSS.Percentile
			exceeded = append(exceeded, ref)
		}
	}
	details["exceeded"] = anyList(exceeded)
	details["unscored"] = anyList(unscored)
	msg := fmt.Sprintf("no active finding has an EPSS score ≥ %v", g.s.Threshold)
	if len(exceeded) > 0 {
		v.add(gate.StatusFail, "threshold-exceeded")
		msg = fmt.Sprintf("%d active finding(s) with EPSS score ≥ %v", len(exceeded), g.s.Threshold)
	}
	return v.result(msg, details), nil
}
