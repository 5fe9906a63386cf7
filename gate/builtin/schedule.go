package builtin

import (
	"context"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // windows name IANA zones; do not depend on the host's zoneinfo

	"github.com/stella-ops/stella/gate"
)

type scheduleSettings struct {
	Windows []scheduleWindow `json:"windows"`
}

// scheduleWindow opens on Days from Start to End, wall-clock time in
// Timezone. End before Start runs past midnight into the next day.
type scheduleWindow struct {
	Days     []string `json:"days"` // mon…sun or monday…sunday; empty: every day
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Timezone string   `json:"timezone"` // IANA name; empty: UTC
}

func defaultScheduleSettings() scheduleSettings { return scheduleSettings{Windows: []scheduleWindow{}} }

func (s scheduleSettings) validate() error {
	_, err := s.compile()
	return err
}

// openWindow is a validated scheduleWindow.
type openWindow struct {
	days       [7]bool
	start, end int // minutes after midnight
	loc        *time.Location
	source     scheduleWindow
}

func (s scheduleSettings) compile() ([]openWindow, error) {
	out := make([]openWindow, 0, len(s.Windows))
	for i, w := range s.Windows {
		at := fmt.Sprintf("windows[%d].", i)
		o := openWindow{source: w}
		if len(w.Days) == 0 {
			o.days = [7]bool{true, true, true, true, true, true, true}
		}
		for _, d := range w.Days {
			wd, ok := parseWeekday(d)
			if !ok {
				return nil, settingErr(at+"days", "%q is not a day; want mon…sun", d)
			}
			o.days[wd] = true
		}
		var err error
		if o.start, err = parseClock(w.Start); err != nil {
			return nil, settingErr(at+"start", "%v", err)
		}
		if o.end, err = parseClock(w.End); err != nil {
			return nil, settingErr(at+"end", "%v", err)
		}
		if o.start == o.end {
			return nil, settingErr(at+"end", "window from %s to %s is empty", w.Start, w.End)
		}
		tz := w.Timezone
		if tz == "" {
			tz = "UTC"
		}
		if o.loc, err = time.LoadLocation(tz); err != nil {
			return nil, settingErr(at+"timezone", "%q is not an IANA time zone", w.Timezone)
		}
		out = append(out, o)
	}
	return out, nil
}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, true
		}
	}
	return 0, false
}

// parseClock reads "HH:MM" (00:00–24:00) as minutes after midnight.
func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q: want HH:MM between 00:00 and 24:00", s)
	}
	return h*60 + m, nil
}

// span is the window's occurrence that opens on the local date y-m-d. Wall
// times are resolved in the window's zone on that date, so a DST change
// moves the opening in UTC, not on the clock.
func (o openWindow) span(y int, m time.Month, d int) (open, close time.Time) {
	open = time.Date(y, m, d, 0, o.start, 0, 0, o.loc)
	endDay := d
	if o.end <= o.start {
		endDay++
	}
	close = time.Date(y, m, endDay, 0, o.end, 0, 0, o.loc)
	return open, close
}

// scheduleGate lets promotions through only inside a deployment window.
type scheduleGate struct {
	base
	windows []openWindow
}

func newScheduleGate(b base, s scheduleSettings) gate.Gate {
	w, _ := s.compile() // validated by the factory
	return &scheduleGate{b, w}
}

func (g *scheduleGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	v := newVerdict(g.typ)
	if len(g.windows) == 0 {
		return v.result("no schedule windows: always open", map[string]any{}), nil
	}
	now := in.ClockCutoff
	var next time.Time
	for i, o := range g.windows {
		y, m, today := now.In(o.loc).Date()
		// From yesterday (a window may still be open past midnight) to a
		// week ahead, which covers every weekday once.
		for d := today - 1; d <= today+7; d++ {
			if !o.days[time.Date(y, m, d, 12, 0, 0, 0, o.loc).Weekday()] {
				continue
			}
			open, close := o.span(y, m, d)
			if !now.Before(open) && now.Before(close) {
				return v.result(fmt.Sprintf("inside schedule window %d until %s", i, utc(close)),
					map[string]any{"window": i, "openUntil": utc(close)}), nil
			}
			if open.After(now) && (next.IsZero() || open.Before(next)) {
				next = open
			}
		}
	}
	v.add(gate.StatusPending, "closed")
	next = next.UTC()
	r := v.result("outside every schedule window; next opening "+utc(next),
		map[string]any{"nextOpening": utc(next)})
	r.NotBefore = &next
	return r, nil
}
