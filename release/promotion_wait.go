package release

import (
	"time"

	"github.com/stella-ops/stella/gate"
)

// DecisionNotBefore is the earliest time a pending decision may change by
// itself: the soonest NotBefore among the gates it waits on (a schedule
// window's next opening). It is nil for a decision that allows or denies,
// and for one that only an event (an approval, a confirmation) can move.
func DecisionNotBefore(d *gate.Decision) *time.Time {
	if d == nil || d.Decision != gate.Pending {
		return nil
	}
	var at *time.Time
	for _, g := range d.Gates {
		if g.Status != gate.StatusPending || g.NotBefore == nil {
			continue
		}
		if at == nil || g.NotBefore.Before(*at) {
			at = g.NotBefore
		}
	}
	return canonPtr(at)
}

// Wait records that a decision left p pending where it is (a wait on a
// gate other than approvals): the decision joins DecisionIDs and the time
// it may change by itself becomes NotBefore. It returns false, and p
// unchanged, when p is not pending or nothing would change, so that a
// re-evaluation that learns nothing new writes nothing.
func (p Promotion) Wait(decisionID string, notBefore *time.Time, at time.Time) (Promotion, bool) {
	notBefore = canonPtr(notBefore)
	if !p.Status.Pending() || decisionID == "" {
		return p, false
	}
	sameTime := (p.NotBefore == nil) == (notBefore == nil) && (notBefore == nil || p.NotBefore.Equal(*notBefore))
	if sameTime {
		return p, false
	}
	n := p.clone()
	n.DecisionIDs = appendNew(n.DecisionIDs, decisionID)
	n.NotBefore = notBefore
	n.UpdatedAt = at.UTC()
	n.Version = p.Version + 1
	return n, true
}

// canonPtr is a copy of t in UTC at the store's precision (microseconds),
// so that a time reads back equal to the one written.
func canonPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := t.UTC().Truncate(time.Microsecond)
	return &c
}
