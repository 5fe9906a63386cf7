package builtin

import (
	"slices"
	"testing"

	"github.com/stella-ops/stella/gate"
)

// Acceptance check 5.
func TestVEXTrust(t *testing.T) {
	vexed := func(id, status string, confidence float64, conflict bool) gate.Finding {
		f := active(id, "pkg:npm/"+id+"@1", "high")
		f.VEX = &gate.VEX{Status: status, Confidence: confidence, Conflict: conflict, ConsensusDigest: "sha256:c"}
		// The engine marks VEX-suppressed findings inactive.
		f.Active = status != "not_affected" && status != "fixed"
		return f
	}
	tests := []struct {
		name     string
		tier     string
		settings map[string]any
		findings []gate.Finding
		status   gate.Status
		codes    []string
		low      []string
		min      float64
	}{
		{"not_affected 0.7 passes staging", "staging", nil, []gate.Finding{vexed("CVE-1", "not_affected", 0.7, false)},
			gate.StatusPass, nil, []string{}, 0.6},
		{"not_affected 0.7 fails production", "production", nil, []gate.Finding{vexed("CVE-1", "not_affected", 0.7, false)},
			gate.StatusFail, []string{"vex-trust.low-confidence"}, []string{"CVE-1"}, 0.8},
		{"development accepts 0.4", "development", nil, []gate.Finding{vexed("CVE-1", "fixed", 0.4, false)},
			gate.StatusPass, nil, []string{}, 0.4},
		{"unknown tier is held to production", "qa", nil, []gate.Finding{vexed("CVE-1", "not_affected", 0.7, false)},
			gate.StatusFail, []string{"vex-trust.low-confidence"}, []string{"CVE-1"}, 0.8},
		{"setting overrides the tier", "production", map[string]any{"minConfidence": 0.5},
			[]gate.Finding{vexed("CVE-1", "not_affected", 0.7, false)}, gate.StatusPass, nil, []string{}, 0.5},
		{"affected verdicts suppress nothing", "production", nil, []gate.Finding{vexed("CVE-1", "affected", 0.1, false)},
			gate.StatusPass, nil, []string{}, 0.8},
		{"conflict warns", "production", nil, []gate.Finding{vexed("CVE-1", "affected", 0.9, true)},
			gate.StatusWarn, []string{"vex-trust.conflict"}, []string{}, 0.8},
		{"low confidence and conflict", "production", nil,
			[]gate.Finding{vexed("CVE-1", "not_affected", 0.5, true), vexed("CVE-2", "fixed", 0.9, false)},
			gate.StatusFail, []string{"vex-trust.conflict", "vex-trust.low-confidence"}, []string{"CVE-1"}, 0.8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInput(tt.findings...)
			in.Environment.Tier = tt.tier
			r := evaluate(t, newTestGate(t, TypeVEXTrust, tt.settings), in)
			wantResult(t, r, tt.status, tt.codes...)
			if got := refIDs(t, r, "lowConfidence"); !slices.Equal(got, tt.low) {
				t.Errorf("lowConfidence = %q, want %q", got, tt.low)
			}
			wantDetail(t, r, "minConfidence", tt.min)
		})
	}
}
