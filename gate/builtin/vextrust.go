package builtin

import (
	"context"
	"fmt"
	"math"

	"github.com/stella-ops/stella/gate"
)

type vexTrustSettings struct {
	// MinConfidence overrides the tier default when set.
	MinConfidence *float64 `json:"minConfidence,omitempty"`
}

func defaultVEXTrustSettings() vexTrustSettings { return vexTrustSettings{} }

func (s vexTrustSettings) validate() error {
	if m := s.MinConfidence; m != nil && (math.IsNaN(*m) || *m < 0 || *m > 1) {
		return settingErr("minConfidence", "must be between 0 and 1, got %v", *m)
	}
	return nil
}

// tierMinConfidence is the default minConfidence per environment tier. An
// unknown tier gets the production value: fail closed.
func tierMinConfidence(tier string) float64 {
	switch tier {
	case "development":
		return 0.40
	case "staging":
		return 0.60
	}
	return 0.80
}

// vexTrustGate refuses findings that a weakly supported VEX verdict
// suppressed. Such findings are inactive for the other gates, so this gate
// looks at VEX-suppressed findings whatever their Active flag says.
type vexTrustGate struct {
	base
	s vexTrustSettings
}

func newVEXTrustGate(b base, s vexTrustSettings) gate.Gate { return &vexTrustGate{b, s} }

func (g *vexTrustGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	floor := tierMinConfidence(in.Environment.Tier)
	if g.s.MinConfidence != nil {
		floor = *g.s.MinConfidence
	}
	v := newVerdict(g.typ)
	var low, conflicts []map[string]any
	for _, f := range sortedFindings(in.Findings) {
		if f.VEX == nil {
			continue
		}
		ref := findingRef(f)
		ref["vexStatus"] = f.VEX.Status
		ref["confidence"] = f.VEX.Confidence
		ref["consensusDigest"] = f.VEX.ConsensusDigest
		suppressed := f.VEX.Status == "not_affected" || f.VEX.Status == "fixed"
		if suppressed && f.VEX.Confidence < floor {
			low = append(low, ref)
		}
		if f.VEX.Conflict {
			conflicts = append(conflicts, ref)
		}
	}
	msg := "VEX verdicts are trusted"
	if len(conflicts) > 0 {
		v.add(gate.StatusWarn, "conflict")
		msg = fmt.Sprintf("%d finding(s) with conflicting VEX claims", len(conflicts))
	}
	if len(low) > 0 {
		v.add(gate.StatusFail, "low-confidence")
		msg = fmt.Sprintf("%d finding(s) suppressed by VEX with confidence below %v", len(low), floor)
	}
	return v.result(msg, map[string]any{
		"minConfidence": floor,
		"tier":          in.Environment.Tier,
		"lowConfidence": anyList(low),
		"conflicts":     anyList(conflicts),
	}), nil
}
