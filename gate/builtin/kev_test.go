package builtin

import (
	"testing"

	"github.com/stella-ops/stella/gate"
)

// Acceptance check 1 and the due-date rules.
func TestKEV(t *testing.T) {
	listed := func(added, due string) gate.Finding {
		f := active("CVE-2026-1", "pkg:npm/a@1", "high")
		f.KEV = &gate.KEV{DateAdded: added, DueDate: due}
		return f
	}
	// The cut-off is 2026-03-01T12:00Z.
	tests := []struct {
		name     string
		settings map[string]any
		finding  gate.Finding
		status   gate.Status
		codes    []string
	}{
		{"added 20 days ago, grace 14: expired", nil, listed("2026-02-09", ""), gate.StatusFail, []string{"kev.grace-expired"}},
		{"added 5 days ago: in grace", nil, listed("2026-02-24", ""), gate.StatusWarn, []string{"kev.in-grace"}},
		{"added exactly 14 days ago: still in grace", nil, listed("2026-02-15", ""), gate.StatusWarn, []string{"kev.in-grace"}},
		{"added 15 days ago: expired", nil, listed("2026-02-14", ""), gate.StatusFail, []string{"kev.grace-expired"}},
		{"no grace period", map[string]any{"allowGracePeriod": false}, listed("2026-02-28", ""), gate.StatusFail, []string{"kev.listed"}},
		{"unknown dateAdded cannot be in grace", nil, listed("", ""), gate.StatusFail, []string{"kev.grace-expired"}},
		{"past due", nil, listed("2026-02-24", "2026-02-28"), gate.StatusFail, []string{"kev.in-grace", "kev.past-due"}},
		{"due today is not past due", nil, listed("2026-02-24", "2026-03-01"), gate.StatusWarn, []string{"kev.due-soon", "kev.in-grace"}},
		{"due in 7 days: due soon", nil, listed("2026-02-24", "2026-03-08"), gate.StatusWarn, []string{"kev.due-soon", "kev.in-grace"}},
		{"due in 8 days: quiet", nil, listed("2026-02-24", "2026-03-09"), gate.StatusWarn, []string{"kev.in-grace"}},
		{"past due not blocking: warns", map[string]any{"blockPastDueDate": false}, listed("2026-02-24", "2026-02-28"),
			gate.StatusWarn, []string{"kev.in-grace", "kev.past-due"}},
		{"no due-soon warning when disabled", map[string]any{"warnBeforeDueDate": false}, listed("2026-02-24", "2026-03-02"),
			gate.StatusWarn, []string{"kev.in-grace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evaluate(t, newTestGate(t, TypeKEV, tt.settings), newInput(tt.finding))
			wantResult(t, r, tt.status, tt.codes...)
			ref := r.Details["findings"].([]any)[0].(map[string]any)
			if ref["status"] != string(tt.status) || ref["dateAdded"] != tt.finding.KEV.DateAdded {
				t.Errorf("finding detail = %v", ref)
			}
		})
	}

	t.Run("age in details", func(t *testing.T) {
		r := evaluate(t, newTestGate(t, TypeKEV, nil), newInput(listed("2026-02-09", "")))
		if ref := r.Details["findings"].([]any)[0].(map[string]any); ref["ageDays"] != 20 {
			t.Errorf("ageDays = %v, want 20", ref["ageDays"])
		}
	})
	t.Run("inactive and unlisted findings pass", func(t *testing.T) {
		f := listed("2026-01-01", "2026-01-15")
		f.Active = false
		r := evaluate(t, newTestGate(t, TypeKEV, nil), newInput(f, active("CVE-2", "pkg:npm/b@1", "critical")))
		wantResult(t, r, gate.StatusPass)
		wantDetail(t, r, "findings", []any{})
	})
	t.Run("malformed date is an error", func(t *testing.T) {
		g := newTestGate(t, TypeKEV, nil)
		if _, err := g.Evaluate(t.Context(), newInput(listed("01/02/2026", ""))); err == nil {
			t.Error("malformed dateAdded accepted")
		}
	})
}
