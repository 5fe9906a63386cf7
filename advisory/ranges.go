package advisory

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Evidence explains one range decision: which range was evaluated, its
// events in evaluation order, and the comparison that decided it.
type Evidence struct {
	RangeType RangeType `json:"rangeType"`        // SEMVER | ECOSYSTEM | GIT | VERSIONS
	Events    []Event   `json:"events,omitempty"` // sorted as evaluated
	Decision  string    `json:"decision"`         // e.g. "introduced 0 <= 0.3.7 < fixed 0.3.8"
	Note      string    `json:"note,omitempty"`   // why a range could not be evaluated
}

// RangeVersions is the Evidence.RangeType of a match by an explicit
// affected.versions entry.
const RangeVersions RangeType = "VERSIONS"

// ErrUnsupportedRange reports a range type that cannot be evaluated against
// package versions (GIT, or a type this package does not know).
var ErrUnsupportedRange = errors.New("unsupported range type")

// EvaluateRange reports whether version lies in r, exactly as the OSV
// specification evaluates ranges: events sorted by version ("0" first),
// walked in order so that introduced <= v sets affected, fixed <= v clears
// it and last_affected < v clears it; a version at or above every limit of
// the range is not affected by it. SEMVER ranges are compared with SemVer 2.0
// whatever eco says; ECOSYSTEM ranges with eco (nil: unsupported). GIT
// ranges never match: the error wraps ErrUnsupportedRange and the evidence
// says so.
func EvaluateRange(r Range, version string, eco Comparer) (bool, Evidence, error) {
	ev := Evidence{RangeType: r.Type}
	var c Comparer
	switch r.Type {
	case RangeSemver:
		c = semverRanges
	case RangeEcosystem:
		if eco == nil {
			ev.Note = "unsupported ecosystem: no version scheme to order ECOSYSTEM events"
			return false, ev, fmt.Errorf("%w: ECOSYSTEM range without a version scheme", ErrUnsupportedEcosystem)
		}
		c = eco
	default:
		ev.Note = fmt.Sprintf("unsupported range type %s: it cannot be evaluated against package versions", r.Type)
		return false, ev, fmt.Errorf("%w %q", ErrUnsupportedRange, r.Type)
	}
	if _, err := c.Compare(version, version); err != nil {
		ev.Note = "installed version does not parse: " + err.Error()
		return false, ev, fmt.Errorf("installed version: %w", err)
	}
	events, err := sortEvents(r.Events, c)
	if err != nil {
		return false, ev, err
	}
	ev.Events = events
	affected, decision, err := walkEvents(events, version, c)
	ev.Decision = decision
	return affected, ev, err
}

// eventRank breaks ties between events at the same version so that an
// introduced/fixed pair at one version denotes an empty interval.
func eventRank(kind string) int {
	return map[string]int{EventIntroduced: 0, EventLastAffected: 1, EventFixed: 2, EventLimit: 3}[kind]
}

// sortEvents returns the events ordered by version, "introduced: 0" lowest
// and "limit: *" highest; it rejects malformed events and versions.
func sortEvents(in []Event, c Comparer) ([]Event, error) {
	if len(in) == 0 {
		return nil, errors.New("range has no events")
	}
	for i, e := range in {
		kind, v := e.Kind()
		if kind == "" {
			return nil, fmt.Errorf("event %d: exactly one of introduced, fixed, last_affected, limit must be set", i)
		}
		if isOpenBound(kind, v) {
			continue
		}
		if _, err := c.Compare(v, v); err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", i, kind, err)
		}
	}
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b Event) int {
		ka, va := a.Kind()
		kb, vb := b.Kind()
		oa, ob := boundOrder(ka, va), boundOrder(kb, vb)
		if oa != ob {
			return cmp.Compare(oa, ob)
		}
		if oa == 0 {
			if r, _ := c.Compare(va, vb); r != 0 { // both validated above
				return r
			}
		}
		return cmp.Compare(eventRank(ka), eventRank(kb))
	})
	return out, nil
}

// isOpenBound reports the two sentinels: introduced "0" (the beginning of
// time) and limit "*" (no limit).
func isOpenBound(kind, v string) bool {
	return (kind == EventIntroduced && v == "0") || (kind == EventLimit && v == "*")
}

// boundOrder places "introduced: 0" before and "limit: *" after every real
// version (which all get 0 and are ordered by the Comparer).
func boundOrder(kind, v string) int {
	switch {
	case kind == EventIntroduced && v == "0":
		return -1
	case kind == EventLimit && v == "*":
		return 1
	}
	return 0
}

// walkEvents applies the OSV algorithm to sorted events and describes the
// decisive comparison.
func walkEvents(events []Event, v string, c Comparer) (bool, string, error) {
	cmpTo := func(kind, bound string) (int, error) { // sign of v - bound
		if isOpenBound(kind, bound) {
			return -boundOrder(kind, bound), nil
		}
		r, err := c.Compare(v, bound)
		if err != nil {
			return 0, fmt.Errorf("installed version: %w", err)
		}
		return r, nil
	}
	// Limits: v must be below at least one limit of the range, if any.
	var limits []string
	belowLimit, hasLimit := "", false
	for _, e := range events {
		if kind, b := e.Kind(); kind == EventLimit {
			hasLimit = true
			limits = append(limits, b)
			if r, err := cmpTo(kind, b); err != nil {
				return false, "", err
			} else if r < 0 && belowLimit == "" {
				belowLimit = b
			}
		}
	}
	if hasLimit && belowLimit == "" {
		return false, fmt.Sprintf("%s >= every limit %v", v, limits), nil
	}
	affected, lower := false, -1
	for i, e := range events {
		kind, b := e.Kind()
		r, err := cmpTo(kind, b)
		if err != nil {
			return false, "", err
		}
		switch {
		case kind == EventIntroduced && r >= 0:
			affected, lower = true, i
		case kind == EventFixed && r >= 0, kind == EventLastAffected && r > 0:
			affected, lower = false, i
		}
	}
	if lower < 0 {
		_, first := events[0].Kind()
		return false, fmt.Sprintf("%s < introduced %s", v, first), nil
	}
	lk, lb := events[lower].Kind()
	if !affected {
		op := ">="
		if lk == EventLastAffected {
			op = ">"
		}
		return false, fmt.Sprintf("%s %s %s %s", v, op, lk, lb), nil
	}
	decision := fmt.Sprintf("%s %s <= %s", lk, lb, v)
	for _, e := range events[lower+1:] {
		switch k, b := e.Kind(); k {
		case EventFixed:
			return true, decision + " < fixed " + b + limitNote(belowLimit), nil
		case EventLastAffected:
			return true, decision + " <= last_affected " + b + limitNote(belowLimit), nil
		}
	}
	return true, decision + " (no fixed version)" + limitNote(belowLimit), nil
}

func limitNote(limit string) string {
	if limit == "" || limit == "*" {
		return ""
	}
	return " < limit " + limit
}
