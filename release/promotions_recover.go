package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/tenant"
)

// Actors the server acts as when it moves promotions on its own. Like
// AutoPromoteActor they can never approve.
const (
	// RecoverActor resumes promotions after a restart (Promotions.Recover).
	RecoverActor = "system:recover"
	// ScheduleActor evaluates a promotion when its decision's NotBefore
	// comes (Promotions.RunSchedule).
	ScheduleActor = "system:schedule"
)

// PromotionSweep finds promotions across tenants: what a server resumes
// when it starts, and what its schedule waits for. *store.DB implements
// it; Recover and RunSchedule need a PromotionTx that does.
type PromotionSweep interface {
	// PromotionsIn returns up to limit promotions, of any tenant, whose
	// status is one of statuses, ordered by (tenant, id) after the key
	// after (the zero key: from the first).
	PromotionsIn(ctx context.Context, statuses []PromotionStatus, after PromotionKey, limit int) ([]Promotion, error)
	// DuePromotions returns up to limit pending promotions, of any tenant,
	// whose NotBefore is at or before t, ordered by (tenant, id) after the
	// key after.
	DuePromotions(ctx context.Context, t time.Time, after PromotionKey, limit int) ([]Promotion, error)
	// NextNotBefore returns the soonest NotBefore of a pending promotion
	// in any tenant, nil when none waits for a time.
	NextNotBefore(ctx context.Context) (*time.Time, error)
}

// PromotionKey names a promotion across tenants.
type PromotionKey struct{ TenantID, ID string }

// Key is p's PromotionKey.
func (p Promotion) Key() PromotionKey { return PromotionKey{TenantID: p.TenantID, ID: p.ID} }

// DecisionReader is a PromotionDecider that also reads back a record it
// kept. With one, a deployment resumed after a restart seals its packet
// with the pre-deploy decision it started with, as it would have without
// the restart; without one the packet says only what happened.
type DecisionReader interface {
	Decision(ctx context.Context, tenant, recordDigest string) (*gate.Decision, error)
}

// PromotionsLogger logs what the service does on its own (recovery, the
// schedule, re-evaluations after a change) and fails at; the default
// discards.
func PromotionsLogger(l *slog.Logger) PromotionsOption {
	return func(s *Promotions) { s.log = l }
}

// sweepPage is how many promotions a sweep reads at a time.
const sweepPage = 100

func (s *Promotions) sweep() (PromotionSweep, error) {
	sw, ok := s.store.(PromotionSweep)
	if !ok {
		return nil, errors.New("release: the promotion store cannot find promotions across tenants (PromotionSweep)")
	}
	return sw, nil
}

// wait writes what a decision that moves nothing says (Promotion.Wait):
// its record and when it may change by itself.
func (s *Promotions) wait(ctx context.Context, sc tenant.Scope, p Promotion, decisionID string, notBefore *time.Time) (Promotion, error) {
	n, changed := p.Wait(decisionID, notBefore, s.clock())
	if !changed {
		return p, nil
	}
	err := s.inTx(ctx, func(tx PromotionTx) error {
		if err := s.audit(ctx, tx, sc, "promotion.wait", &p, &n); err != nil {
			return err
		}
		return tx.UpdatePromotion(ctx, &n)
	})
	if err != nil {
		return p, err
	}
	return n, nil
}

// EvaluatePending evaluates again every pending promotion (pending_gate,
// pending_approval) of the tenant, as after an advisory or VEX change
// (release.md §2 rule 2), and returns how many it evaluated. A promotion
// that fails does not stop the others: the errors are joined.
func (s *Promotions) EvaluatePending(ctx context.Context) (int, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return 0, err
	}
	// The ids first: an evaluation moves promotions between the statuses
	// listed, and each is evaluated once.
	var ids []string
	for _, st := range []PromotionStatus{PromotionPendingGate, PromotionPendingApproval} {
		opts := ListOptions{First: MaxPageSize}
		for {
			page, err := s.store.ListPromotions(ctx, sc.Tenant, PromotionFilter{Status: st}, opts)
			if err != nil {
				return 0, err
			}
			for _, p := range page.Items {
				ids = append(ids, p.ID)
			}
			if !page.HasNext {
				break
			}
			opts.After = page.EndCursor()
		}
	}
	var errs []error
	for _, id := range ids {
		if _, err := s.Evaluate(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("promotion %s: %w", id, err))
		}
	}
	return len(ids), errors.Join(errs...)
}

// Changed tells the service that something its decisions read changed
// for the tenant of ctx (what: "vex.import", "advisory.import", …): the
// pending promotions are evaluated again. Call it after the change
// commits. It runs to the end even when ctx is cancelled (the change is
// made), and logs failures instead of returning them: they are not the
// failures of the change.
func (s *Promotions) Changed(ctx context.Context, what string) {
	ctx = context.WithoutCancel(ctx)
	n, err := s.EvaluatePending(ctx)
	sc, _ := tenant.ScopeFrom(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "re-evaluating pending promotions", "after", what, "tenant", sc.Tenant, "promotions", n, "error", err)
		return
	}
	s.log.InfoContext(ctx, "re-evaluated pending promotions", "after", what, "tenant", sc.Tenant, "promotions", n)
}

// Recovery is what Recover resumed.
type Recovery struct {
	Evaluated int // requested and pending_gate promotions evaluated
	Lanes     int // (environment, application) lanes with approved promotions deployed
	Resumed   int // deploying promotions handed to the Deployer again and finished
}

// Recover resumes, in every tenant, the promotions a crash (or a failed
// evaluation) left between two steps: deploying ones are handed to the
// Deployer again with the job id they started with (Deployer is idempotent
// per job id) and finished, and their lanes go on; requested and
// pending_gate ones are evaluated (the process may have died, or the
// decider failed, between the start of an evaluation and its outcome; for
// one that waits on a gate, evaluating again changes nothing); the lanes
// with approved promotions are deployed. Promotions pending approval need
// nothing: they wait for an approval.
//
// Deployments of different lanes resume in parallel; Recover returns when
// each has finished. A promotion that fails stays where it is, for the
// next Recover or Evaluate; the errors are joined. It acts as RecoverActor.
func (s *Promotions) Recover(ctx context.Context) (Recovery, error) {
	var rec Recovery
	sw, err := s.sweep()
	if err != nil {
		return rec, err
	}
	var errs []error
	var mu sync.Mutex
	fail := func(p Promotion, what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, fmt.Errorf("%s promotion %s of tenant %s: %w", what, p.ID, p.TenantID, err))
	}

	deploying, err := sweepAll(ctx, sw, PromotionDeploying)
	if err != nil {
		return rec, err
	}
	var wg sync.WaitGroup
	for _, p := range deploying {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.resumeDeployment(ctx, p); err != nil {
				fail(p, "resuming the deployment of", err)
			}
		}()
	}
	wg.Wait()
	rec.Resumed = len(deploying)

	requested, err := sweepAll(ctx, sw, PromotionRequested)
	if err != nil {
		return rec, errors.Join(append(errs, err)...)
	}
	gated, err := sweepAll(ctx, sw, PromotionPendingGate)
	if err != nil {
		return rec, errors.Join(append(errs, err)...)
	}
	requested = append(requested, gated...)
	for _, p := range requested {
		if _, err := s.Evaluate(s.actingFor(ctx, p.TenantID, RecoverActor), p.ID); err != nil {
			fail(p, "evaluating", err)
		}
	}
	rec.Evaluated = len(requested)

	approved, err := sweepAll(ctx, sw, PromotionApproved)
	if err != nil {
		return rec, errors.Join(append(errs, err)...)
	}
	type lane struct{ tenant, env, app string }
	seen := map[lane]bool{}
	for _, p := range approved {
		l := lane{p.TenantID, p.TargetEnvironmentID, p.Application}
		if seen[l] {
			continue
		}
		seen[l] = true
		if err := s.Deploy(s.actingFor(ctx, p.TenantID, RecoverActor), l.env, l.app); err != nil {
			fail(p, "deploying the lane of", err)
		}
	}
	rec.Lanes = len(seen)
	return rec, errors.Join(errs...)
}

// resumeDeployment hands a deploying promotion to the Deployer again,
// with its job id, records the job's end and lets its lane go on.
func (s *Promotions) resumeDeployment(ctx context.Context, p Promotion) error {
	ctx = s.actingFor(ctx, p.TenantID, RecoverActor)
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	rel, env, err := s.subject(ctx, s.store, sc, p)
	if err != nil {
		return err
	}
	var d *gate.Decision
	if r, ok := s.decider.(DecisionReader); ok && p.FinalDecisionID != "" {
		if d, err = r.Decision(ctx, p.TenantID, p.FinalDecisionID); err != nil {
			return fmt.Errorf("reading its final decision %s: %w", p.FinalDecisionID, err)
		}
	}
	if err := s.finish(ctx, sc, p, rel, env, d); err != nil {
		return err
	}
	return s.Deploy(ctx, p.TargetEnvironmentID, p.Application)
}

func (s *Promotions) actingFor(ctx context.Context, tenantID, actor string) context.Context {
	return tenant.WithScope(ctx, tenant.Scope{Tenant: tenantID, Actor: actor})
}

// sweepAll reads every promotion in status st, in every tenant.
func sweepAll(ctx context.Context, sw PromotionSweep, st PromotionStatus) ([]Promotion, error) {
	var out []Promotion
	var after PromotionKey
	for {
		ps, err := sw.PromotionsIn(ctx, []PromotionStatus{st}, after, sweepPage)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
		if len(ps) < sweepPage {
			return out, nil
		}
		after = ps[len(ps)-1].Key()
	}
}
