package gate

import (
	"slices"
	"testing"
)

func TestSecurityThresholds(t *testing.T) {
	notFixed := func(f Finding) Finding { f.FixState = "not-fixed"; return f }
	unreachable := func(f Finding) Finding { f.Reachable = ptr(false); return f }
	inactive := func(f Finding) Finding { f.Active = false; return f }
	tests := []struct {
		name     string
		settings map[string]any
		findings []Finding
		status   Status
		codes    []string
		exceeded []string
		warnings []string
	}{
		{"nothing severe", nil, []Finding{active("CVE-1", "pkg:npm/a@1", "medium")},
			StatusPass, nil, []string{}, []string{}},
		{"critical fails", nil, []Finding{active("CVE-1", "pkg:npm/a@1", "critical"), active("CVE-2", "pkg:npm/b@1", "high")},
			StatusFail, []string{"security-thresholds.severity-exceeded", "security-thresholds.severity-warning"},
			[]string{"CVE-1"}, []string{"CVE-2"}},
		{"high warns", nil, []Finding{active("CVE-2", "pkg:npm/b@1", "high")},
			StatusWarn, []string{"security-thresholds.severity-warning"}, []string{}, []string{"CVE-2"}},
		{"inactive critical ignored", nil, []Finding{inactive(active("CVE-1", "pkg:npm/a@1", "critical"))},
			StatusPass, nil, []string{}, []string{}},
		{"unscored counts as critical", nil, []Finding{active("CVE-9", "pkg:npm/a@1", "")},
			StatusFail, []string{"security-thresholds.severity-exceeded"}, []string{"CVE-9"}, []string{}},
		{"onlyFixable: unfixed critical only warns", map[string]any{"onlyFixable": true},
			[]Finding{notFixed(active("CVE-1", "pkg:npm/a@1", "critical"))},
			StatusWarn, []string{"security-thresholds.severity-warning"}, []string{}, []string{"CVE-1"}},
		{"onlyFixable: fixed critical fails", map[string]any{"onlyFixable": true},
			[]Finding{active("CVE-1", "pkg:npm/a@1", "critical")},
			StatusFail, []string{"security-thresholds.severity-exceeded"}, []string{"CVE-1"}, []string{}},
		{"onlyReachable: unreachable only warns", map[string]any{"onlyReachable": true},
			[]Finding{unreachable(active("CVE-1", "pkg:npm/a@1", "critical"))},
			StatusWarn, []string{"security-thresholds.severity-warning"}, []string{}, []string{"CVE-1"}},
		{"onlyReachable: unknown reachability is reachable", map[string]any{"onlyReachable": true},
			[]Finding{active("CVE-1", "pkg:npm/a@1", "critical")},
			StatusFail, []string{"security-thresholds.severity-exceeded"}, []string{"CVE-1"}, []string{}},
		{"failSeverity high", map[string]any{"failSeverity": "high", "warnSeverity": "medium"},
			[]Finding{active("CVE-2", "pkg:npm/b@1", "high"), active("CVE-3", "pkg:npm/c@1", "medium")},
			StatusFail, []string{"security-thresholds.severity-exceeded", "security-thresholds.severity-warning"},
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
