package builtin

import (
	"slices"
	"testing"

	"github.com/stella-ops/stella/gate"
)

// Acceptance check 2.
func TestEPSS(t *testing.T) {
	scored := func(id string, score float64) gate.Finding {
		f := active(id, "pkg:npm/"+id+"@1", "medium")
		f.EPSS = &gate.EPSS{Score: score, Percentile: 0.9, ModelVersion: "v2025.03.14"}
		return f
	}
	tests := []struct {
		name     string
		settings map[string]any
		findings []gate.Finding
		status   gate.Status
		codes    []string
		exceeded []string
	}{
		{"0.72 ≥ 0.6 fails", nil, []gate.Finding{scored("CVE-1", 0.72)}, gate.StatusFail, []string{"epss.threshold-exceeded"}, []string{"CVE-1"}},
		{"0.4 passes the default", nil, []gate.Finding{scored("CVE-1", 0.4)}, gate.StatusPass, nil, []string{}},
		{"0.4 fails a production override of 0.3", map[string]any{"threshold": 0.3}, []gate.Finding{scored("CVE-1", 0.4)},
			gate.StatusFail, []string{"epss.threshold-exceeded"}, []string{"CVE-1"}},
		{"exactly the threshold fails", nil, []gate.Finding{scored("CVE-1", 0.6)}, gate.StatusFail, []string{"epss.threshold-exceeded"}, []string{"CVE-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evaluate(t, newTestGate(t, TypeEPSS, tt.settings), newInput(tt.findings...))
			wantResult(t, r, tt.status, tt.codes...)
			if got := refIDs(t, r, "exceeded"); !slices.Equal(got, tt.exceeded) {
				t.Errorf("exceeded = %q, want %q", got, tt.exceeded)
			}
		})
	}

	t.Run("unscored findings are listed", func(t *testing.T) {
		r := evaluate(t, newTestGate(t, TypeEPSS, nil), newInput(scored("CVE-1", 0.1), active("CVE-2", "pkg:npm/b@1", "high")))
		wantResult(t, r, gate.StatusPass)
		if got := refIDs(t, r, "unscored"); !slices.Equal(got, []string{"CVE-2"}) {
			t.Errorf("unscored = %q, want [CVE-2]", got)
		}
		wantDetail(t, r, "snapshot", "epss-2026-03-01")
	})
	t.Run("no snapshot fails closed", func(t *testing.T) {
		in := newInput(scored("CVE-1", 0.1))
		in.EPSSSnapshot = ""
		r := evaluate(t, newTestGate(t, TypeEPSS, nil), in)
		wantResult(t, r, gate.StatusFail, "epss.data-missing")
	})
	t.Run("inactive findings are ignored", func(t *testing.T) {
		f := scored("CVE-1", 0.99)
		f.Active = false
		r := evaluate(t, newTestGate(t, TypeEPSS, nil), newInput(f))
		wantResult(t, r, gate.StatusPass)
	})
}
