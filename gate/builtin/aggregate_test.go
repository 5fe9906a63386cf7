package builtin

import (
	"testing"

	"github.com/stella-ops/stella/gate"
)

// Acceptance check 3.
func TestAggregate(t *testing.T) {
	highs := func(n int) []gate.Finding {
		var fs []gate.Finding
		for i := range n {
			fs = append(fs, active("CVE-2026-000"+string(rune('1'+i)), "pkg:npm/a@1", "high"))
		}
		return fs
	}
	inOtherComponent := func(f gate.Finding) gate.Finding {
		f.Component = gate.FindingRef{Name: "worker", Purl: "pkg:npm/a@1"}
		return f
	}
	aliased := func(id string, aliases ...string) gate.Finding {
		f := active(id, "pkg:npm/b@1", "high")
		f.Aliases = aliases
		return f
	}
	tests := []struct {
		name     string
		settings map[string]any
		findings []gate.Finding
		status   gate.Status
		codes    []string
		high     int
	}{
		{"one critical fails", nil, []gate.Finding{active("CVE-1", "pkg:npm/a@1", "critical")},
			gate.StatusFail, []string{"aggregate.critical-exceeded"}, 0},
		{"three highs pass", nil, highs(3), gate.StatusPass, nil, 3},
		{"four highs fail", nil, highs(4), gate.StatusFail, []string{"aggregate.high-exceeded"}, 4},
		{"a CVE in two components counts once", nil,
			append(highs(3), inOtherComponent(highs(1)[0])), gate.StatusPass, nil, 3},
		{"alias groups count once", nil,
			append(highs(3), aliased("GHSA-xxxx", "CVE-2026-0001"), aliased("OSV-1", "GHSA-xxxx")), gate.StatusPass, nil, 3},
		{"inactive findings do not count", nil,
			append(highs(3), gate.Finding{AdvisoryID: "CVE-9", Severity: "critical"}), gate.StatusPass, nil, 3},
		{"maxLow -1 is unlimited", nil,
			[]gate.Finding{active("CVE-1", "pkg:a@1", "low"), active("CVE-2", "pkg:a@1", "low")}, gate.StatusPass, nil, 0},
		{"maxLow 1", map[string]any{"maxLow": 1},
			[]gate.Finding{active("CVE-1", "pkg:a@1", "low"), active("CVE-2", "pkg:a@1", "low")},
			gate.StatusFail, []string{"aggregate.low-exceeded"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evaluate(t, newTestGate(t, TypeAggregate, tt.settings), newInput(tt.findings...))
			wantResult(t, r, tt.status, tt.codes...)
			if got := r.Details["counts"].(map[string]any)["high"]; got != tt.high {
				t.Errorf("high count = %v, want %d", got, tt.high)
			}
		})
	}

	t.Run("group ids and the worst severity of a group", func(t *testing.T) {
		a := aliased("GHSA-xxxx", "CVE-2026-0001")
		b := active("CVE-2026-0001", "pkg:npm/c@1", "critical")
		r := evaluate(t, newTestGate(t, TypeAggregate, nil), newInput(a, b))
		wantResult(t, r, gate.StatusFail, "aggregate.critical-exceeded")
		ids := r.Details["vulnerabilities"].(map[string]any)
		if got := ids["critical"]; len(got.([]string)) != 1 || got.([]string)[0] != "CVE-2026-0001" {
			t.Errorf("critical groups = %v, want [CVE-2026-0001]", got)
		}
		if got := ids["high"].([]string); len(got) != 0 {
			t.Errorf("high groups = %v, want none", got)
		}
	})
}
