package builtin

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/gate"
)

type kevSettings struct {
	AllowGracePeriod  bool `json:"allowGracePeriod"`
	GraceDays         int  `json:"graceDays"`
	BlockPastDueDate  bool `json:"blockPastDueDate"`
	WarnBeforeDueDate bool `json:"warnBeforeDueDate"`
	WarnDaysBeforeDue int  `json:"warnDaysBeforeDue"`
}

func defaultKEVSettings() kevSettings {
	return kevSettings{AllowGracePeriod: true, GraceDays: 14, BlockPastDueDate: true,
		WarnBeforeDueDate: true, WarnDaysBeforeDue: 7}
}

func (s kevSettings) validate() error {
	if s.GraceDays < 0 {
		return settingErr("graceDays", "must be ≥ 0, got %d", s.GraceDays)
	}
	if s.WarnDaysBeforeDue < 0 {
		return settingErr("warnDaysBeforeDue", "must be ≥ 0, got %d", s.WarnDaysBeforeDue)
	}
	return nil
}

// kevGate judges active findings listed in CISA KEV by how long they have
// been listed and how close their remediation due date is.
type kevGate struct {
	base
	s kevSettings
}

func newKEVGate(b base, s kevSettings) gate.Gate { return &kevGate{b, s} }

const kevDate = "2006-01-02"

func (g *kevGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	v := newVerdict(g.typ)
	c := in.ClockCutoff.UTC()
	today := time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, time.UTC)
	var listed []map[string]any
	for _, f := range sortedFindings(in.Findings) {
		if !f.Active || f.KEV == nil {
			continue
		}
		fv := newVerdict(g.typ)
		ref := findingRef(f)
		ref["dateAdded"] = f.KEV.DateAdded
		ref["dueDate"] = f.KEV.DueDate
		ref["ransomware"] = f.KEV.Ransomware
		switch {
		case !g.s.AllowGracePeriod:
			fv.add(gate.StatusFail, "listed")
		case f.KEV.DateAdded == "":
			// Unknown listing age: the grace period cannot be shown to hold.
			fv.add(gate.StatusFail, "grace-expired")
		default:
			added, err := time.Parse(kevDate, f.KEV.DateAdded)
			if err != nil {
				return gate.Result{}, fmt.Errorf("kev: %s: dateAdded %q: want YYYY-MM-DD", f.AdvisoryID, f.KEV.DateAdded)
			}
			age := daysBetween(added, today)
			ref["ageDays"] = age
			if age > g.s.GraceDays {
				fv.add(gate.StatusFail, "grace-expired")
			} else {
				fv.add(gate.StatusWarn, "in-grace")
			}
		}
		if f.KEV.DueDate != "" {
			due, err := time.Parse(kevDate, f.KEV.DueDate)
			if err != nil {
				return gate.Result{}, fmt.Errorf("kev: %s: dueDate %q: want YYYY-MM-DD", f.AdvisoryID, f.KEV.DueDate)
			}
			// Due by the end of the due date: past due from the next day on.
			left := daysBetween(today, due)
			ref["daysToDue"] = left
			switch {
			case left < 0 && g.s.BlockPastDueDate:
				fv.add(gate.StatusFail, "past-due")
			case left < 0:
				fv.add(gate.StatusWarn, "past-due")
			case g.s.WarnBeforeDueDate && left <= g.s.WarnDaysBeforeDue:
				fv.add(gate.StatusWarn, "due-soon")
			}
		}
		r := fv.result("", nil)
		ref["status"] = string(r.Status)
		ref["reasonCodes"] = r.ReasonCodes
		for _, c := range r.ReasonCodes {
			v.codes[c] = true
		}
		v.add(r.Status, "")
		listed = append(listed, ref)
	}
	msg := "no active finding is known to be exploited"
	if len(listed) > 0 {
		msg = fmt.Sprintf("%d active finding(s) listed in CISA KEV", len(listed))
	}
	return v.result(msg, map[string]any{
		"graceDays": g.s.GraceDays,
		"findings":  anyList(listed),
	}), nil
}

// daysBetween counts calendar days from one UTC date to another.
func daysBetween(from, to time.Time) int {
	return int(to.Sub(from) / (24 * time.Hour))
}
