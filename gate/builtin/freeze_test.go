package builtin

import (
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
)

// Acceptance check 6.
func TestFreezeWindow(t *testing.T) {
	window := func(name string, from, to time.Duration, exceptions ...string) gate.FreezeWindow {
		return gate.FreezeWindow{Name: name, Start: testCutoff.Add(from), End: testCutoff.Add(to), Exceptions: exceptions}
	}
	tests := []struct {
		name    string
		windows []gate.FreezeWindow
		status  gate.Status
		codes   []string
		active  int
	}{
		{"no windows", nil, gate.StatusPass, nil, 0},
		{"window covering the cut-off", []gate.FreezeWindow{window("holidays", -time.Hour, time.Hour)},
			gate.StatusFail, []string{"freeze-window.active"}, 1},
		{"start is inclusive", []gate.FreezeWindow{window("holidays", 0, time.Hour)}, gate.StatusFail, []string{"freeze-window.active"}, 1},
		{"end is exclusive", []gate.FreezeWindow{window("holidays", -time.Hour, 0)}, gate.StatusPass, nil, 0},
		{"future window", []gate.FreezeWindow{window("later", time.Hour, 2*time.Hour)}, gate.StatusPass, nil, 0},
		{"requester excepted", []gate.FreezeWindow{window("holidays", -time.Hour, time.Hour, "u-alice")},
			gate.StatusWarn, []string{"freeze-window.exception-used"}, 1},
		{"excepted in one window, not the other",
			[]gate.FreezeWindow{window("a", -time.Hour, time.Hour, "u-alice"), window("b", -time.Hour, time.Hour)},
			gate.StatusFail, []string{"freeze-window.active"}, 2},
		{"someone else excepted", []gate.FreezeWindow{window("holidays", -time.Hour, time.Hour, "u-bob")},
			gate.StatusFail, []string{"freeze-window.active"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInput()
			in.Environment.FreezeWindows = tt.windows
			r := evaluate(t, newTestGate(t, TypeFreezeWindow, nil), in)
			wantResult(t, r, tt.status, tt.codes...)
			if got := len(r.Details["windows"].([]any)); got != tt.active {
				t.Errorf("%d active windows in details, want %d", got, tt.active)
			}
		})
	}

	t.Run("the override is recorded", func(t *testing.T) {
		in := newInput()
		in.Environment.FreezeWindows = []gate.FreezeWindow{window("holidays", -time.Hour, time.Hour, "u-alice")}
		r := evaluate(t, newTestGate(t, TypeFreezeWindow, nil), in)
		wantDetail(t, r, "requester", "u-alice")
		wantDetail(t, r, "windows", []any{map[string]any{
			"name": "holidays", "start": "2026-03-01T11:00:00Z", "end": "2026-03-01T13:00:00Z", "exceptionUsed": true,
		}})
	})
}
