package builtin

import (
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
)

// Acceptance check 7.
func TestScheduleWindow(t *testing.T) {
	weekdays := []any{"mon", "tue", "wed", "thu", "fri"}
	tests := []struct {
		name      string
		windows   []any
		cutoff    time.Time
		status    gate.Status
		codes     []string
		notBefore time.Time // zero when not pending
	}{
		{"no windows: always open", nil, testCutoff, gate.StatusPass, nil, time.Time{}},
		{"inside", []any{map[string]any{"days": weekdays, "start": "09:00", "end": "17:00", "timezone": "UTC"}},
			time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), gate.StatusPass, nil, time.Time{}},
		{"end is exclusive", []any{map[string]any{"days": weekdays, "start": "09:00", "end": "17:00"}},
			time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), gate.StatusPending, []string{"schedule-window.closed"},
			time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)},
		// Saturday 2026-03-07 18:00 EST; clocks spring forward on Sunday
		// 2026-03-08, so Monday 09:00 New York is 13:00Z, not 14:00Z.
		{"New York, across the spring-forward change",
			[]any{map[string]any{"days": weekdays, "start": "09:00", "end": "17:00", "timezone": "America/New_York"}},
			time.Date(2026, 3, 7, 23, 0, 0, 0, time.UTC), gate.StatusPending, []string{"schedule-window.closed"},
			time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)},
		// Berlin moves to CEST on 2026-03-29: 09:00 is 08:00Z on the 28th
		// and 07:00Z on the 29th.
		{"Berlin, across the spring-forward change",
			[]any{map[string]any{"start": "09:00", "end": "10:00", "timezone": "Europe/Berlin"}},
			time.Date(2026, 3, 28, 9, 30, 0, 0, time.UTC), gate.StatusPending, []string{"schedule-window.closed"},
			time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		{"Berlin, back in autumn",
			[]any{map[string]any{"days": []any{"Sunday"}, "start": "09:00", "end": "10:00", "timezone": "Europe/Berlin"}},
			time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), gate.StatusPending, []string{"schedule-window.closed"},
			time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
		{"overnight window still open after midnight",
			[]any{map[string]any{"days": []any{"fri"}, "start": "22:00", "end": "02:00", "timezone": "UTC"}},
			time.Date(2026, 3, 7, 1, 0, 0, 0, time.UTC), gate.StatusPass, nil, time.Time{}},
		{"earliest opening of several windows",
			[]any{
				map[string]any{"days": []any{"wed"}, "start": "09:00", "end": "10:00", "timezone": "UTC"},
				map[string]any{"days": []any{"tue"}, "start": "20:00", "end": "21:00", "timezone": "Asia/Tokyo"},
			},
			time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), gate.StatusPending, []string{"schedule-window.closed"},
			time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)},
		{"next week when today's window has passed",
			[]any{map[string]any{"days": []any{"mon"}, "start": "09:00", "end": "10:00"}},
			time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), gate.StatusPending, []string{"schedule-window.closed"},
			time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var settings map[string]any
			if tt.windows != nil {
				settings = map[string]any{"windows": tt.windows}
			}
			in := newInput()
			in.ClockCutoff = tt.cutoff
			r := evaluate(t, newTestGate(t, TypeScheduleWindow, settings), in)
			wantResult(t, r, tt.status, tt.codes...)
			if tt.notBefore.IsZero() {
				return
			}
			if r.NotBefore == nil || !r.NotBefore.Equal(tt.notBefore) || r.NotBefore.Location() != time.UTC {
				t.Fatalf("NotBefore = %v, want %v", r.NotBefore, tt.notBefore)
			}
			wantDetail(t, r, "nextOpening", tt.notBefore.Format(time.RFC3339))
		})
	}
}
