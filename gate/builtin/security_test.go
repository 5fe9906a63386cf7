package builtin

import (
	"slices"
	"testing"

	"github.com/stella-ops/stella/gate"
)

func TestSecurityThresholds(t *testing.T) {
	notFixed := func(f gate.Finding) gate.Finding { f.FixState = "not-fixed"; return f }
	unreachable := func(f gate.Finding) gate.Finding { f.Reachable = ptr(false); return f }
	inactive := func(f gate.Finding) gate.Finding { f.Active = false; return f }
	tests := []struct {
		name     string
		settings map[string]any
		findings []gate.Finding
		status   gate.Status
		codes    []string
		exceeded []string
		warnings []string
	}{
		{"nothing severe", nil, []gate.Finding{active("CVE-1", "pkg:npm/a@1", "medium")},
			gate.StatusPass, nil, []string{}, []string{}},
		{"critical fails", nil, []gate.Finding{active("CVE-1", "pkg:npm/a@1", "critical"), active("CVE-2", "pkg:npm/b@1", "high")},
			gate.StatusFail, []string{"security-thresholds.severity-exceeded", "security-thresholds.severity-warning"},
			[]string{"CVE-1"}, []string{"CVE-2"}},
		{"high warns", nil, []gate.Finding{active("CVE-2", "pkg:npm/b@1", "high")},
			gate.StatusWarn, []string{"security-thresholds.severity-warning"}, []string{}, []string{"CVE-2"}},
		{"inactive critical ignored", nil, []gate.Finding{inactive(active("CVE-1", "pkg:npm/a@1", "critical"))},
			gate.StatusPass, nil, []string{}, []string{}},
		{"unscored counts as critical", nil, []gate.Finding{active("CVE-9", "pkg:npm/a@1", "")},
			gate.StatusFail, []string{"security-thresholds.severity-exceeded"}, []string{"CVE-9"}, []string{}},
		{"onlyFixable: unfixed critical only warns", map[string]any{"onlyFixable": true},
			[]gate.Finding{notFixed(active("CVE-1", "pkg:npm/a@1", "critical"))},
			gate.StatusWarn, []string{"security-thresholds.severity-warning"}, []string{}, []string{"CVE-1"}},
		{"onlyFixable: fixed critical fails", map[string]any{"onlyFixable": true},
			[]gate.Finding{active("CVE-1", "pkg:npm/a@1", "critical")},
			gate.StatusFail, []string{"security-thresholds.severity-exceeded"}, []string{"CVE-1"}, []string{}},
		{"onlyReachable: unreachable only warns", map[string]any{"onlyReachable": true},
			[]gate.Finding{unreachable(active("CVE-1", "pkg:npm/a@1", "critical"))},
			gate.StatusWarn, []string{"security-thresholds.severity-warning"}, []string{}, []string{"CVE-1"}},
		{"onlyReachable: unknown reachability is reachable", map[string]any{"onlyReachable": true},
			[]gate.Finding{active("CVE-1", "pkg:npm/a@1", "critical")},
			gate.StatusFail, []string{"security-thresholds.severity-exceeded"}, []string{"CVE-1"}, []string{}},
		{"failSeverity high", map[string]any{"failSeverity": "high", "warnSeverity": "medium"},
			[]gate.Finding{active("CVE-2", "pkg:npm/b@1", "high"), active("CVE-3", "pkg:npm/c@1", "medium")},
			gate.StatusFail, []string{"security-thresholds.severity-exceeded", "security-thresholds.severity-warning"},
			[]string{"CVE-2"}, []string{"CVE-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evaluate(t, newTestGate(t, TypeSecurityThresholds, tt.settings), newInput(tt.findings...))
			wantResult(t, r, tt.status, tt.codes...)
			if got := refIDs(t, r, "exceeded"); !slices.Equal(got, tt.exceeded) {
				t.Errorf("exceeded = %q, want %q", got, tt.exceeded)
			}
			if got := refIDs(t, r, "warnings"); !slices.Equal(got, tt.warnings) {
				t.Errorf("warnings = %q, want %q", got, tt.warnings)
			}
		})
	}
}
