package builtin

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate"
)

type manualSettings struct {
	Prompt string   `json:"prompt"`
	Groups []string `json:"groups"` // who may answer; empty: any user
}

func defaultManualSettings() manualSettings { return manualSettings{Groups: []string{}} }

func (s manualSettings) validate() error {
	for i, g := range s.Groups {
		if strings.TrimSpace(g) == "" {
			return settingErr("groups", "entry %d is empty", i)
		}
	}
	return nil
}

// manualGate waits for a person to confirm a check the system cannot make
// (a change ticket, a smoke test). The latest answer of each eligible
// user counts; one decline fails the gate.
type manualGate struct {
	base
	s manualSettings
}

func newManualGate(b base, s manualSettings) gate.Gate { return &manualGate{b, s} }

const (
	manualConfirm = "confirm"
	manualDecline = "decline"
)

func (g *manualGate) eligible(c gate.Confirmation) bool {
	if len(g.s.Groups) == 0 {
		return c.UserID != ""
	}
	for _, grp := range c.Groups {
		if slices.Contains(g.s.Groups, grp) {
			return true
		}
	}
	return false
}

func (g *manualGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	var mine []gate.Confirmation
	for _, c := range in.Confirmations {
		if c.GateID == g.id {
			mine = append(mine, c)
		}
	}
	slices.SortStableFunc(mine, func(a, b gate.Confirmation) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.UserID, b.UserID))
	})
	latest := map[string]string{}
	var ignored []map[string]any
	for _, c := range mine {
		if !g.eligible(c) || (c.Action != manualConfirm && c.Action != manualDecline) {
			ignored = append(ignored, map[string]any{"userId": c.UserID, "action": c.Action, "at": utc(c.At)})
			continue
		}
		latest[c.UserID] = c.Action
	}
	var confirmedBy, declinedBy []string
	for u, a := range latest {
		if a == manualDecline {
			declinedBy = append(declinedBy, u)
		} else {
			confirmedBy = append(confirmedBy, u)
		}
	}
	confirmedBy, declinedBy = sortedUnique(confirmedBy), sortedUnique(declinedBy)
	v := newVerdict(g.typ)
	msg := "confirmed by " + strings.Join(confirmedBy, ", ")
	switch {
	case len(declinedBy) > 0:
		v.add(gate.StatusFail, "declined")
		msg = "declined by " + strings.Join(declinedBy, ", ")
	case len(confirmedBy) == 0:
		v.add(gate.StatusPending, "awaiting")
		msg = "awaiting confirmation"
		if g.s.Prompt != "" {
			msg += ": " + g.s.Prompt
		}
	}
	return v.result(msg, map[string]any{
		"prompt":      g.s.Prompt,
		"groups":      sortedUnique(g.s.Groups),
		"confirmedBy": confirmedBy,
		"declinedBy":  declinedBy,
		"ignored":     anyList(ignored),
	}), nil
}
