package gate

import (
	"testing"
	"time"
)

func TestManual(t *testing.T) {
	answer := func(gate, user, action string, minute int, groups ...string) Confirmation {
		return Confirmation{GateID: gate, UserID: user, Groups: groups, Action: action,
			At: testCutoff.Add(time.Duration(minute) * time.Minute)}
	}
	ops := map[string]any{"prompt": "Change ticket approved?", "groups": []any{"ops"}}
	tests := []struct {
		name     string
		settings map[string]any
		answers  []Confirmation
		status   Status
		codes    []string
		by       []string // confirmedBy
	}{
		{"pending until confirmed", ops, nil, StatusPending, []string{"manual.awaiting"}, []string{}},
		{"confirmed by an eligible user", ops, []Confirmation{answer("manual", "u-olga", "confirm", 1, "ops")},
			StatusPass, nil, []string{"u-olga"}},
		{"declined", ops, []Confirmation{answer("manual", "u-olga", "decline", 1, "ops")},
			StatusFail, []string{"manual.declined"}, []string{}},
		{"one decline among confirmations", ops,
			[]Confirmation{answer("manual", "u-olga", "confirm", 1, "ops"), answer("manual", "u-piet", "decline", 2, "ops")},
			StatusFail, []string{"manual.declined"}, []string{"u-olga"}},
		{"ineligible user ignored", ops, []Confirmation{answer("manual", "u-dev", "confirm", 1, "dev")},
			StatusPending, []string{"manual.awaiting"}, []string{}},
		{"answers to another gate ignored", ops, []Confirmation{answer("other", "u-olga", "confirm", 1, "ops")},
			StatusPending, []string{"manual.awaiting"}, []string{}},
		{"latest answer wins", ops,
			[]Confirmation{answer("manual", "u-olga", "decline", 1, "ops"), answer("manual", "u-olga", "confirm", 2, "ops")},
			StatusPass, nil, []string{"u-olga"}},
		{"no groups: any user may answer", nil, []Confirmation{answer("manual", "u-dev", "confirm", 1)},
			StatusPass, nil, []string{"u-dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInput()
			in.Confirmations = tt.answers
			r := evaluate(t, newTestGate(t, TypeManual, tt.settings), in)
			wantResult(t, r, tt.status, tt.codes...)
			wantDetail(t, r, "confirmedBy", tt.by)
		})
	}
}
