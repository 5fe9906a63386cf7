package release

import (
	"context"
	"sync"
	"time"
)

// AfterFunc waits for d, then calls f in its own goroutine; stop cancels
// the wait and reports whether it did. time.AfterFunc is one (the
// default); a test passes one it fires by hand.
type AfterFunc func(d time.Duration, f func()) (stop func() bool)

func timeAfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// PromotionsTimer sets what the schedule (RunSchedule) waits with.
func PromotionsTimer(after AfterFunc) PromotionsOption {
	return func(s *Promotions) { s.after = after }
}

// scheduleRetry is how long the schedule waits before trying again a
// promotion that was due and is still due after its evaluation (the
// evaluation failed): a retry, not a polling loop.
const scheduleRetry = time.Minute

// schedule is the one timer of RunSchedule, set for the soonest NotBefore
// of a pending promotion. The store is the schedule: the timer only says
// when to look at it again, so nothing is lost in a restart.
type schedule struct {
	mu   sync.Mutex
	ctx  context.Context // nil until RunSchedule
	at   time.Time       // when the armed timer fires; zero: none armed
	gen  int             // the armed timer's generation
	stop func() bool
}

// RunSchedule evaluates each pending promotion again when its decision's
// NotBefore comes (release.md §2 rule 2: a schedule window opening), in
// every tenant, as ScheduleActor, until ctx ends. It reads the soonest
// NotBefore from the store and sets one timer for it; an evaluation that
// writes a sooner one (in this process) sets the timer sooner. It is
// event-driven: nothing runs between two NotBefore times. It returns once
// the timer is set.
func (s *Promotions) RunSchedule(ctx context.Context) error {
	sw, err := s.sweep()
	if err != nil {
		return err
	}
	s.sched.mu.Lock()
	s.sched.ctx = ctx
	s.sched.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		if s.sched.stop != nil {
			s.sched.stop()
		}
		s.sched.at, s.sched.stop = time.Time{}, nil
	})
	return s.rearm(ctx, sw, time.Time{})
}

// wake sets the timer for t if the schedule runs and t is sooner than the
// time it waits for.
func (s *Promotions) wake(t *time.Time) {
	if t != nil {
		s.arm(*t)
	}
}

func (s *Promotions) arm(t time.Time) {
	s.sched.mu.Lock()
	defer s.sched.mu.Unlock()
	ctx := s.sched.ctx
	if ctx == nil || ctx.Err() != nil || (!s.sched.at.IsZero() && !t.Before(s.sched.at)) {
		return
	}
	if s.sched.stop != nil {
		s.sched.stop()
	}
	s.sched.gen++
	gen := s.sched.gen
	s.sched.at = t
	s.sched.stop = s.after(max(t.Sub(s.clock()), 0), func() { s.fire(gen) })
}

// fire evaluates the promotions due now and sets the timer for the next.
func (s *Promotions) fire(gen int) {
	s.sched.mu.Lock()
	ctx := s.sched.ctx
	if gen == s.sched.gen {
		s.sched.at, s.sched.stop = time.Time{}, nil
	}
	s.sched.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		return
	}
	sw, err := s.sweep()
	if err != nil {
		return
	}
	now := s.clock()
	var after PromotionKey
	for {
		due, err := sw.DuePromotions(ctx, now, after, sweepPage)
		if err != nil {
			s.log.WarnContext(ctx, "schedule: reading the promotions due", "error", err)
			break
		}
		for _, p := range due {
			if _, err := s.Evaluate(s.actingFor(ctx, p.TenantID, ScheduleActor), p.ID); err != nil {
				s.log.WarnContext(ctx, "schedule: evaluating a promotion", "tenant", p.TenantID, "promotion", p.ID, "error", err)
			}
		}
		if len(due) < sweepPage {
			break
		}
		after = due[len(due)-1].Key()
	}
	if err := s.rearm(ctx, sw, now); err != nil {
		s.log.WarnContext(ctx, "schedule: reading the next time", "error", err)
	}
}

// rearm sets the timer for the soonest NotBefore in the store. One that
// is not after firedAt was due in the sweep that just ran and is still
// waiting: its evaluation failed, and it is tried again after
// scheduleRetry.
func (s *Promotions) rearm(ctx context.Context, sw PromotionSweep, firedAt time.Time) error {
	next, err := sw.NextNotBefore(ctx)
	switch {
	case err != nil:
		s.arm(s.clock().Add(scheduleRetry))
		return err
	case next == nil:
		return nil
	case !firedAt.IsZero() && !next.After(firedAt):
		s.arm(firedAt.Add(scheduleRetry))
	default:
		s.arm(*next)
	}
	return nil
}
