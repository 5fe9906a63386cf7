package builtin

import (
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
)

func TestManual(t *testing.T) {
	answer := func(gateID, user, action string, minute int, groups ...string) gate.Confirmation {
		return gate.Confirmation{GateID: gateID, UserID: user, Groups: groups, Action: action,
			At: testCutoff.Add(time.Duration(minute) * time.Minute)}
	}
	ops := map[string]any{"prompt": "Change ticket approved?", "groups": []any{"ops"}}
	tests := []struct {
		name     string
		settings map[string]any
		answers  []gate.Confirmation
		status   gate.Status
		codes    []string
		by       []string // confirmedBy
	}{
		{"pending until confirmed", ops, nil, gate.StatusPending, []string{"manual.awaiting"}, []string{}},
		{"confirmed by an eligible user", ops, []gate.Confirmation{answer("manual", "u-olga", "confirm", 1, "ops")},
			gate.StatusPass, nil, []string{"u-olga"}},
		{"declined", ops, []gate.Confirmation{answer("manual", "u-olga", "decline", 1, "ops")},
			gate.StatusFail, []string{"manual.declined"}, []string{}},
		{"one decline among confirmations", ops,
			[]gate.Confirmation{answer("manual", "u-olga", "confirm", 1, "ops"), answer("manual", "u-piet", "decline", 2, "ops")},
			gate.StatusFail, []string{"manual.declined"}, []string{"u-olga"}},
		{"ineligible user ignored", ops, []gate.Confirmation{answer("manual", "u-dev", "confirm", 1, "dev")},
			gate.StatusPending, []string{"manual.awaiting"}, []string{}},
		{"answers to another gate ignored", ops, []gate.Confirmation{answer("other", "u-olga", "confirm", 1, "ops")},
			gate.StatusPending, []string{"manual.awaiting"}, []string{}},
		{"latest answer wins", ops,
			[]gate.Confirmation{answer("manual", "u-olga", "decline", 1, "ops"), answer("manual", "u-olga", "confirm", 2, "ops")},
			gate.StatusPass, nil, []string{"u-olga"}},
		{"no groups: any user may answer", nil, []gate.Confirmation{answer("manual", "u-dev", "confirm", 1)},
			gate.StatusPass, nil, []string{"u-dev"}},
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
