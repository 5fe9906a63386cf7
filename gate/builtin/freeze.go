package builtin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate"
)

// freezeSettings is empty: the windows belong to the environment.
type freezeSettings struct{}

func defaultFreezeSettings() freezeSettings { return freezeSettings{} }

func (freezeSettings) validate() error { return nil }

// freezeGate blocks promotions while a freeze window of the target
// environment covers the cut-off, except for the users a window exempts.
type freezeGate struct {
	base
}

func newFreezeGate(b base, _ freezeSettings) gate.Gate { return &freezeGate{b} }

func (g *freezeGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	windows := slices.Clone(in.Environment.FreezeWindows)
	slices.SortFunc(windows, func(a, b gate.FreezeWindow) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	v := newVerdict(g.typ)
	var active []map[string]any
	var blocking []string
	for _, w := range windows {
		if in.ClockCutoff.Before(w.Start) || !in.ClockCutoff.Before(w.End) {
			continue
		}
		exempt := in.Requester.ID != "" && slices.Contains(w.Exceptions, in.Requester.ID)
		active = append(active, map[string]any{
			"name": w.Name, "start": utc(w.Start), "end": utc(w.End), "exceptionUsed": exempt,
		})
		if !exempt {
			blocking = append(blocking, w.Name)
		}
	}
	msg := "no freeze window is active"
	switch {
	case len(blocking) > 0:
		v.add(gate.StatusFail, "active")
		msg = "freeze window active: " + strings.Join(blocking, ", ")
	case len(active) > 0:
		v.add(gate.StatusWarn, "exception-used")
		msg = fmt.Sprintf("freeze window overridden by an exception for %s", in.Requester.ID)
	}
	return v.result(msg, map[string]any{"requester": in.Requester.ID, "windows": anyList(active)}), nil
}
