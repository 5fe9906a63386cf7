package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

// PromotionStore is what RunPromotions needs of a store: the catalog, to
// set up the releases and environments promotions refer to, and the
// promotions themselves.
type PromotionStore interface {
	release.Store
	release.PromotionStore
}

// RunPromotions runs the promotion suite. open must return a new, empty
// store for each call; subtests run in parallel. The audited writes of
// promotions are checked by RunAudited with PromotionChanges, since they
// need the store's own transaction type.
func RunPromotions(t *testing.T, open func(t *testing.T) PromotionStore) {
	tests := []struct {
		name string
		fn   func(f *promotionFixture)
	}{
		{"PromotionCRUD", testPromotionCRUD},
		{"PromotionVersions", testPromotionVersions},
		{"PromotionFilters", testPromotionFilters},
		{"PromotionPaging", testPromotionPaging},
		{"Approvals", testApprovals},
		{"RequestFacts", testRequestFacts},
		{"OneOpenPromotion", testOneOpenPromotion},
		{"DeployLock", testDeployLock},
		{"ConcurrentDeployClaims", testConcurrentDeployClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tc.fn(&promotionFixture{fixture: newFixture(t, s), ps: s})
		})
	}
}

type promotionFixture struct {
	*fixture
	ps release.PromotionStore
}

// finalized creates a finalized release of application.
func (f *promotionFixture) finalized(tenant, name, application string) *release.Release {
	r := f.release(tenant, name, application)
	at := f.tick()
	r.Status, r.Digest, r.FinalizedBy, r.FinalizedAt = release.StatusFinalized, digest(name), "bob", &at
	f.must(f.s.CreateRelease(f.ctx, r))
	return r
}

// environment creates an environment.
func (f *promotionFixture) environment(tenant, name string, order int) *release.Environment {
	e := f.env(tenant, name, order)
	f.must(f.s.CreateEnvironment(f.ctx, e))
	return e
}

// promotion creates a promotion of r into env in status st, as a store
// would hold it after the state machine moved it there.
func (f *promotionFixture) promotion(r *release.Release, env *release.Environment, st release.PromotionStatus) *release.Promotion {
	at := f.tick()
	p := &release.Promotion{ID: newID(), TenantID: r.TenantID, ReleaseID: r.ID, ReleaseDigest: r.Digest,
		Application: r.Application, TargetEnvironmentID: env.ID, Status: st, RequestedBy: "ann", RequestedAt: at,
		Reason: "ship it", DecisionIDs: []string{}, EvidencePacketIDs: []string{}, CreatedAt: at, UpdatedAt: at, Version: 1}
	f.must(f.ps.CreatePromotion(f.ctx, p))
	return p
}

// apply moves p by t and writes the result.
func (f *promotionFixture) apply(p *release.Promotion, t release.Transition) *release.Promotion {
	f.t.Helper()
	n, _, err := p.Apply(t, f.tick())
	f.must(err)
	f.must(f.ps.UpdatePromotion(f.ctx, &n))
	return &n
}

func (f *promotionFixture) get(tenant, id string) *release.Promotion {
	f.t.Helper()
	p, err := f.ps.GetPromotion(f.ctx, tenant, id)
	f.must(err)
	return p
}

// testPromotionCRUD walks a promotion from request to failure, so that
// every field (decisions, packets, job, times, failure) is written and read back.
func testPromotionCRUD(f *promotionFixture) {
	dev := f.environment(tenantA, "dev", 0)
	rel := f.finalized(tenantA, "shop-v1", "shop")
	req := release.PromotionRequest{ReleaseID: rel.Name, Target: "dev", Reason: "first", RequestedBy: "ann"}
	facts, err := f.ps.RequestFacts(f.ctx, tenantA, req)
	f.must(err)
	p, _, err := release.NewPromotion(newID(), req, facts, f.tick())
	f.must(err)
	f.must(f.ps.CreatePromotion(f.ctx, &p))
	f.sameJSON("created", f.get(tenantA, p.ID), p)

	steps := []release.Transition{
		{Trigger: release.TriggerEvaluationStarted},
		{Trigger: release.TriggerGatesPassedExceptApprovals, DecisionID: "d1"},
		{Trigger: release.TriggerApprovalsSatisfied, DecisionID: "d2"},
		{Trigger: release.TriggerPreDeployAllow, DecisionID: "d3", DeploymentJobID: "job-1", WorkflowRunID: "run-1",
			EvidencePacketIDs: []string{"pk-1"}},
		{Trigger: release.TriggerJobFailed, Failure: &release.PromotionFailure{Code: "HEALTH_CHECK", Message: "unhealthy"},
			EvidencePacketIDs: []string{"pk-2"}},
	}
	cur := &p
	for _, t := range steps {
		cur = f.apply(cur, t)
		f.sameJSON("after "+string(t.Trigger), f.get(tenantA, p.ID), cur)
	}
	if cur.Status != release.PromotionFailed || cur.Version != 6 || cur.Failure == nil || cur.StartedAt == nil {
		f.t.Errorf("walked promotion = %+v", cur)
	}
	if cur.TargetEnvironmentID != dev.ID {
		f.t.Errorf("target = %s, want %s", cur.TargetEnvironmentID, dev.ID)
	}

	// Absent, another tenant's, a taken id, a release that does not exist.
	_, err = f.ps.GetPromotion(f.ctx, tenantA, "nope")
	f.notFound(err, "promotion", "nope")
	_, err = f.ps.GetPromotion(f.ctx, tenantB, p.ID)
	f.notFound(err, "promotion", p.ID)
	dup := p
	dup.ReleaseID = f.finalized(tenantA, "shop-v2", "shop").ID
	f.conflict(f.ps.CreatePromotion(f.ctx, &dup), "promotion", p.ID, "id already exists")
	ghost := p
	ghost.ID, ghost.ReleaseID = newID(), "no-such-release"
	f.notFound(f.ps.CreatePromotion(f.ctx, &ghost), "release", "no-such-release")
	other := *cur
	other.TenantID, other.Version = tenantB, other.Version+1
	f.notFound(f.ps.UpdatePromotion(f.ctx, &other), "promotion", p.ID)
}

// testPromotionVersions: an update made from a stale read loses, whether
// the race is sequential or concurrent.
func testPromotionVersions(f *promotionFixture) {
	dev := f.environment(tenantA, "dev", 0)
	p := f.promotion(f.finalized(tenantA, "shop-v1", "shop"), dev, release.PromotionRequested)
	f.apply(p, release.Transition{Trigger: release.TriggerEvaluationStarted})
	stale, _, err := p.Apply(release.Transition{Trigger: release.TriggerCancel}, f.tick())
	f.must(err)
	f.conflict(f.ps.UpdatePromotion(f.ctx, &stale), "promotion", p.ID, "was changed concurrently")
	if got := f.get(tenantA, p.ID); got.Status != release.PromotionPendingGate || got.Version != 2 {
		f.t.Errorf("after the lost race: %s v%d, want pending_gate v2", got.Status, got.Version)
	}

	// Eight writers move the same read of version 2: exactly one wins.
	read := f.get(tenantA, p.ID)
	var (
		wg  sync.WaitGroup
		out raceOutcomes
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := release.Transition{Trigger: release.TriggerDecisionDeny, DecisionID: fmt.Sprintf("d%d", i)}
			if i%2 == 0 {
				t = release.Transition{Trigger: release.TriggerCancel}
			}
			n, _, err := read.Apply(t, f.tick())
			if err == nil {
				err = f.ps.UpdatePromotion(f.ctx, &n)
			}
			out.add(err)
		}()
	}
	wg.Wait()
	if out.wins != 1 || out.conflicts != 7 || len(out.unexpected) > 0 {
		f.t.Errorf("concurrent updates: %d won, %d lost, unexpected %v; want 1 and 7", out.wins, out.conflicts, out.unexpected)
	}
	if got := f.get(tenantA, p.ID); got.Version != 3 || !got.Status.Terminal() {
		f.t.Errorf("after the race: %s v%d", got.Status, got.Version)
	}
}

func testPromotionFilters(f *promotionFixture) {
	dev, stage := f.environment(tenantA, "dev", 0), f.environment(tenantA, "stage", 1)
	shop1, shop2 := f.finalized(tenantA, "shop-v1", "shop"), f.finalized(tenantA, "shop-v2", "shop")
	bill := f.finalized(tenantA, "billing-v1", "billing")
	p1 := f.promotion(shop1, dev, release.PromotionDeployed)
	p2 := f.promotion(shop1, stage, release.PromotionApproved)
	p3 := f.promotion(shop2, dev, release.PromotionRequested)
	p4 := f.promotion(bill, dev, release.PromotionApproved)
	p5 := f.promotion(bill, stage, release.PromotionRejected)
	// Another tenant's promotion with the same ids of release and environment never shows.
	otherEnv := f.env(tenantB, "dev", 0)
	otherEnv.ID = dev.ID
	f.must(f.s.CreateEnvironment(f.ctx, otherEnv))
	otherRel := f.release(tenantB, "shop-v1", "shop")
	otherRel.ID, otherRel.Status, otherRel.Digest = shop1.ID, release.StatusFinalized, digest("other")
	f.must(f.s.CreateRelease(f.ctx, otherRel))
	f.promotion(otherRel, otherEnv, release.PromotionApproved)

	ids := func(ps ...*release.Promotion) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.ID
		}
		return out
	}
	cases := []struct {
		name   string
		filter release.PromotionFilter
		want   []string
	}{
		{"all, newest first", release.PromotionFilter{}, ids(p5, p4, p3, p2, p1)},
		{"release", release.PromotionFilter{ReleaseID: shop1.ID}, ids(p2, p1)},
		{"target", release.PromotionFilter{TargetEnvironmentID: dev.ID}, ids(p4, p3, p1)},
		{"release and target", release.PromotionFilter{ReleaseID: shop1.ID, TargetEnvironmentID: stage.ID}, ids(p2)},
		{"application", release.PromotionFilter{Application: "billing"}, ids(p5, p4)},
		{"status", release.PromotionFilter{Status: release.PromotionApproved}, ids(p4, p2)},
		{"lane", release.PromotionFilter{TargetEnvironmentID: dev.ID, Application: "shop", Status: release.PromotionRequested}, ids(p3)},
		{"no match", release.PromotionFilter{Status: release.PromotionDeploying}, []string{}},
	}
	for _, tc := range cases {
		p, err := f.ps.ListPromotions(f.ctx, tenantA, tc.filter, release.ListOptions{})
		f.must(err)
		f.sameStrings("promotions, "+tc.name, names(p, func(p *release.Promotion) string { return p.ID }), tc.want)
	}
	p, err := f.ps.ListPromotions(f.ctx, tenantA, release.PromotionFilter{ReleaseID: shop1.ID}, release.ListOptions{})
	f.must(err)
	f.sameJSON("listed promotions", p.Items, []release.Promotion{*p2, *p1})
}

func testPromotionPaging(f *promotionFixture) {
	dev := f.environment(tenantA, "dev", 0)
	var want []string
	for i := range 7 {
		p := f.promotion(f.finalized(tenantA, fmt.Sprintf("shop-v%d", i), "shop"), dev, release.PromotionRequested)
		want = append([]string{p.ID}, want...)
	}
	key := func(p *release.Promotion) string { return p.ID }
	checkPaging(f.fixture, "promotions", want, key, func(o release.ListOptions) (*release.Page[release.Promotion], error) {
		return f.ps.ListPromotions(f.ctx, tenantA, release.PromotionFilter{}, o)
	})
	checkPaging(f.fixture, "promotions of a lane", want, key, func(o release.ListOptions) (*release.Page[release.Promotion], error) {
		return f.ps.ListPromotions(f.ctx, tenantA, release.PromotionFilter{TargetEnvironmentID: dev.ID, Application: "shop",
			Status: release.PromotionRequested}, o)
	})
	_, err := f.ps.ListPromotions(f.ctx, tenantA, release.PromotionFilter{}, release.ListOptions{After: "bm9wZQ"})
	if !errors.Is(err, fault.ErrValidation) {
		f.t.Errorf("a foreign cursor: %v, want a validation error", err)
	}
}

func testApprovals(f *promotionFixture) {
	dev := f.environment(tenantA, "dev", 0)
	p := f.promotion(f.finalized(tenantA, "shop-v1", "shop"), dev, release.PromotionPendingApproval)
	approval := func(by string, action release.ApprovalAction, groups ...string) *release.Approval {
		return &release.Approval{ID: newID(), TenantID: tenantA, PromotionID: p.ID, ReleaseDigest: p.ReleaseDigest,
			ApproverID: by, ApproverName: "Name of " + by, Groups: groups, Action: action, Comment: "by " + by, At: f.tick()}
	}
	a1 := approval("bob", release.ActionApprove, "leads", "ops")
	a2 := approval("cid", release.ActionReject)
	a3 := approval("bob", release.ActionReject, "leads") // a changed mind is a new record
	for _, a := range []*release.Approval{a2, a1, a3} {
		// Appended out of time order: Approvals orders by time.
		if a == a2 {
			a2.At = a1.At.Add(-time.Microsecond)
		}
		f.must(f.ps.AppendApproval(f.ctx, a))
	}
	got, err := f.ps.Approvals(f.ctx, tenantA, p.ID)
	f.must(err)
	a2.Groups = []string{}
	f.sameJSON("approvals", got, []release.Approval{*a2, *a1, *a3})

	f.conflict(f.ps.AppendApproval(f.ctx, a1), "approval", a1.ID, "already exists")
	orphan := approval("bob", release.ActionApprove)
	orphan.PromotionID = "no-such-promotion"
	f.notFound(f.ps.AppendApproval(f.ctx, orphan), "promotion", "no-such-promotion")
	foreign := approval("bob", release.ActionApprove)
	foreign.TenantID = tenantB
	f.notFound(f.ps.AppendApproval(f.ctx, foreign), "promotion", p.ID)

	_, err = f.ps.Approvals(f.ctx, tenantB, p.ID)
	f.notFound(err, "promotion", p.ID)
	_, err = f.ps.Approvals(f.ctx, tenantA, "no-such-promotion")
	f.notFound(err, "promotion", "no-such-promotion")
	none := f.promotion(f.finalized(tenantA, "shop-v2", "shop"), dev, release.PromotionPendingGate)
	empty, err := f.ps.Approvals(f.ctx, tenantA, none.ID)
	f.must(err)
	if empty == nil || len(empty) != 0 {
		f.t.Errorf("approvals of a promotion without any = %#v, want an empty slice", empty)
	}
}

// testRequestFacts follows one release from dev to stage and checks the
// facts, and ValidateRequest's verdict on them, at each step.
func testRequestFacts(f *promotionFixture) {
	dev, stage := f.environment(tenantA, "dev", 0), f.environment(tenantA, "stage", 5)
	f.environment(tenantA, "prod", 9)
	rel := f.finalized(tenantA, "shop-v1", "shop")
	facts := func(target string) release.RequestFacts {
		f.t.Helper()
		fs, err := f.ps.RequestFacts(f.ctx, tenantA, release.PromotionRequest{ReleaseID: rel.ID, Target: target, RequestedBy: "ann"})
		f.must(err)
		return fs
	}
	check := func(what string, fs release.RequestFacts, previous *release.Environment, deployed bool, open string) {
		f.t.Helper()
		if fs.Release == nil || fs.Release.ID != rel.ID || fs.Target == nil {
			f.t.Fatalf("%s: release %v, target %v", what, fs.Release, fs.Target)
		}
		var prevID string
		if fs.Previous != nil {
			prevID = fs.Previous.ID
		}
		var wantPrev string
		if previous != nil {
			wantPrev = previous.ID
		}
		if prevID != wantPrev || fs.DeployedIntoPrevious != deployed || fs.OpenPromotionID != open {
			f.t.Errorf("%s: previous %q deployed %v open %q, want %q %v %q", what, prevID, fs.DeployedIntoPrevious,
				fs.OpenPromotionID, wantPrev, deployed, open)
		}
	}
	req := func(target string) release.PromotionRequest {
		return release.PromotionRequest{ReleaseID: rel.ID, Target: target, RequestedBy: "ann"}
	}

	// The first environment needs no previous one.
	fs := facts("dev")
	check("first environment", fs, nil, false, "")
	f.must(release.ValidateRequest(req("dev"), fs))

	// The next one needs the release deployed in dev (orderIndex 0 < 5).
	fs = facts(stage.ID)
	check("next environment, nothing deployed", fs, dev, false, "")
	var pe *fault.PreconditionError
	if err := release.ValidateRequest(req(stage.ID), fs); !errors.As(err, &pe) || pe.Code != release.ReasonPreviousNotDeployed {
		f.t.Errorf("stage before dev: %v, want %s", err, release.ReasonPreviousNotDeployed)
	}

	// A promotion into dev under way is the open one; not yet deployed.
	p := f.promotion(rel, dev, release.PromotionDeploying)
	check("dev deploying", facts("dev"), nil, false, p.ID)
	check("stage, dev deploying", facts("stage"), dev, false, "")
	if err := release.ValidateRequest(req("dev"), facts("dev")); !errors.Is(err, fault.ErrConflict) {
		f.t.Errorf("second promotion into dev: %v, want a conflict", err)
	}

	// Deployed in dev: stage may follow. Deployed still counts as open in dev.
	f.apply(p, release.Transition{Trigger: release.TriggerJobSucceeded})
	check("dev deployed", facts("dev"), nil, false, p.ID)
	fs = facts("stage")
	check("stage, dev deployed", fs, dev, true, "")
	f.must(release.ValidateRequest(req("stage"), fs))

	// Into stage now: open there; prod's previous is stage, where it is not deployed.
	q := f.promotion(rel, stage, release.PromotionPendingApproval)
	check("stage requested", facts("stage"), dev, true, q.ID)
	check("prod", facts("prod"), stage, false, "")

	// Rolled back in dev: no longer deployed there, and no longer open.
	dp := f.get(tenantA, p.ID)
	f.apply(dp, release.Transition{Trigger: release.TriggerRollbackCompleted})
	check("dev rolled back", facts("dev"), nil, false, "")
	check("stage, dev rolled back", facts("stage"), dev, false, q.ID)

	// Missing and foreign objects are nil facts, for ValidateRequest to name.
	fs, err := f.ps.RequestFacts(f.ctx, tenantA, release.PromotionRequest{ReleaseID: "nope", Target: "nowhere"})
	f.must(err)
	if fs.Release != nil || fs.Target != nil || fs.Previous != nil || fs.OpenPromotionID != "" {
		f.t.Errorf("facts of nothing: %+v", fs)
	}
	fs, err = f.ps.RequestFacts(f.ctx, tenantB, req("stage"))
	f.must(err)
	if fs.Release != nil || fs.Target != nil {
		f.t.Errorf("another tenant's facts: %+v", fs)
	}
	fs, err = f.ps.RequestFacts(f.ctx, tenantA, release.PromotionRequest{ReleaseID: rel.Name, Target: "nowhere"})
	f.must(err)
	if fs.Release == nil || fs.Target != nil {
		f.t.Errorf("release by name, missing target: %+v", fs)
	}
}

// testOneOpenPromotion: the store itself refuses a second promotion of a
// release into an environment while one is under way, as rule 1 does, so
// two requests checked at once cannot both be stored.
func testOneOpenPromotion(f *promotionFixture) {
	dev := f.environment(tenantA, "dev", 0)
	rel := f.finalized(tenantA, "shop-v1", "shop")
	p := f.promotion(rel, dev, release.PromotionRequested)
	at := f.tick()
	second := *p
	second.ID, second.RequestedAt, second.CreatedAt, second.UpdatedAt = newID(), at, at, at
	f.conflict(f.ps.CreatePromotion(f.ctx, &second), "promotion", second.ID, "already under way")
	f.apply(p, release.Transition{Trigger: release.TriggerCancel})
	f.must(f.ps.CreatePromotion(f.ctx, &second))
}

// preDeployAllow is the start of a claim: the pre-deploy decision allows.
func preDeployAllow(at func() time.Time) func(release.Promotion) (release.Promotion, error) {
	return func(p release.Promotion) (release.Promotion, error) {
		n, _, err := p.Apply(release.Transition{Trigger: release.TriggerPreDeployAllow, DecisionID: "pre-" + p.ID,
			DeploymentJobID: "job-" + p.ID}, at())
		return n, err
	}
}

func testDeployLock(f *promotionFixture) {
	prod := f.environment(tenantA, "prod", 0)
	first := f.promotion(f.finalized(tenantA, "shop-v1", "shop"), prod, release.PromotionApproved)
	second := f.promotion(f.finalized(tenantA, "shop-v2", "shop"), prod, release.PromotionApproved)
	f.promotion(f.finalized(tenantA, "shop-v3", "shop"), prod, release.PromotionPendingApproval)
	start := preDeployAllow(f.tick)

	// Nothing approved in another lane; another tenant's lane is empty.
	none, err := f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, "billing", start)
	f.must(err)
	got, err := f.ps.ClaimDeploy(f.ctx, tenantB, prod.ID, "shop", start)
	f.must(err)
	if none != nil || got != nil {
		f.t.Fatalf("claims of empty lanes: %v %v", none, got)
	}

	// FIFO: the first requested starts; the second waits while it deploys.
	c, err := f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, "shop", start)
	f.must(err)
	if c == nil || c.ID != first.ID || c.Status != release.PromotionDeploying {
		f.t.Fatalf("first claim = %+v, want %s deploying", c, first.ID)
	}
	f.sameJSON("claimed, read back", f.get(tenantA, first.ID), c)
	again, err := f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, "shop", start)
	f.must(err)
	if again != nil {
		f.t.Fatalf("claim while %s deploys = %s", first.ID, again.ID)
	}

	// A second deploying promotion of the lane is refused by the store
	// whatever path the write takes.
	sneaky, _, err := second.Apply(release.Transition{Trigger: release.TriggerPreDeployAllow, DecisionID: "d"}, f.tick())
	f.must(err)
	f.conflict(f.ps.UpdatePromotion(f.ctx, &sneaky), "promotion", second.ID, "deploy lock")

	// A start that fails claims nothing.
	boom := errors.New("pre-deploy evaluation failed")
	f.apply(c, release.Transition{Trigger: release.TriggerJobSucceeded})
	if _, err := f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, "shop", func(release.Promotion) (release.Promotion, error) {
		return release.Promotion{}, boom
	}); !errors.Is(err, boom) {
		f.t.Errorf("failing start: %v", err)
	}
	if p := f.get(tenantA, second.ID); p.Status != release.PromotionApproved {
		f.t.Errorf("after a failing start, %s is %s", second.ID, p.Status)
	}
	// A start that returns an unchanged version loses like any stale write.
	_, err = f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, "shop", func(p release.Promotion) (release.Promotion, error) {
		p.Status = release.PromotionDeploying
		return p, nil
	})
	f.conflict(err, "promotion", second.ID, "changed concurrently")

	// Deployed: the lock is free, the second starts.
	c, err = f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, "shop", start)
	f.must(err)
	if c == nil || c.ID != second.ID {
		f.t.Fatalf("claim after %s deployed = %+v, want %s", first.ID, c, second.ID)
	}
}

// testConcurrentDeployClaims races claimers, each in its own transaction,
// on two lanes of one environment: each lane starts exactly one promotion,
// the first requested, and never two.
func testConcurrentDeployClaims(f *promotionFixture) {
	prod := f.environment(tenantA, "prod", 0)
	shop1 := f.promotion(f.finalized(tenantA, "shop-v1", "shop"), prod, release.PromotionApproved)
	f.promotion(f.finalized(tenantA, "shop-v2", "shop"), prod, release.PromotionApproved)
	bill1 := f.promotion(f.finalized(tenantA, "billing-v1", "billing"), prod, release.PromotionApproved)
	f.promotion(f.finalized(tenantA, "billing-v2", "billing"), prod, release.PromotionApproved)
	start := preDeployAllow(f.tick)

	const claimers = 8
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		claimed    = map[string][]string{}
		unexpected []error
	)
	for i := range 2 * claimers {
		app := []string{"shop", "billing"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.ps.ClaimDeploy(f.ctx, tenantA, prod.ID, app, start)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				unexpected = append(unexpected, err)
			case c != nil:
				claimed[app] = append(claimed[app], c.ID)
			}
		}()
	}
	wg.Wait()
	if len(unexpected) > 0 {
		f.t.Errorf("claims failed: %v", unexpected)
	}
	f.sameStrings("shop claims", claimed["shop"], []string{shop1.ID})
	f.sameStrings("billing claims", claimed["billing"], []string{bill1.ID})
	for _, app := range []string{"shop", "billing"} {
		p, err := f.ps.ListPromotions(f.ctx, tenantA, release.PromotionFilter{TargetEnvironmentID: prod.ID, Application: app,
			Status: release.PromotionDeploying}, release.ListOptions{})
		f.must(err)
		if len(p.Items) != 1 {
			f.t.Errorf("%s: %d promotions deploying, want 1", app, len(p.Items))
		}
	}
}

// PromotionChanges are the promotion writes a store makes in one
// transaction with their audit entries, for RunAudited:
//
//	storetest.RunAudited(t, open, storetest.PromotionChanges[*store.Tx]()...)
func PromotionChanges[T PromotionStore]() []Change[T] {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const relID, promoID = "rel-audited", "promo-audited"
	setup := func(ctx context.Context, tx T, st release.PromotionStatus) (*release.Promotion, error) {
		r := &release.Release{ID: relID, TenantID: tenantA, Application: "shop", Name: "shop-v1", Status: release.StatusFinalized,
			Digest: digest("audited"), CreatedBy: "ann", FinalizedAt: &at, CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := tx.CreateRelease(ctx, r); err != nil {
			return nil, err
		}
		p := &release.Promotion{ID: promoID, TenantID: tenantA, ReleaseID: relID, ReleaseDigest: r.Digest, Application: "shop",
			TargetEnvironmentID: "env-prod", Status: st, RequestedBy: "ann", RequestedAt: at,
			DecisionIDs: []string{}, EvidencePacketIDs: []string{}, CreatedAt: at, UpdatedAt: at, Version: 1}
		return p, tx.CreatePromotion(ctx, p)
	}
	// status is the stored promotion's, "" when there is none.
	status := func(ctx context.Context, tx T) (release.PromotionStatus, error) {
		p, err := tx.GetPromotion(ctx, tenantA, promoID)
		if errors.Is(err, fault.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return p.Status, nil
	}
	approval := func(promotionID string) *release.Approval {
		return &release.Approval{ID: "approval-audited", TenantID: tenantA, PromotionID: promotionID, ReleaseDigest: digest("audited"),
			ApproverID: "bob", Action: release.ActionApprove, At: at}
	}
	start := preDeployAllow(func() time.Time { return at })
	return []Change[T]{{
		Name: "CreatePromotion",
		Make: func(ctx context.Context, tx T) error {
			_, err := setup(ctx, tx, release.PromotionRequested)
			return err
		},
		Refused: func(ctx context.Context, tx T) error {
			p, err := setup(ctx, tx, release.PromotionRequested)
			if err != nil {
				return err
			}
			return tx.CreatePromotion(ctx, p) // the id is taken
		},
		Made: func(ctx context.Context, tx T) (bool, error) { st, err := status(ctx, tx); return st != "", err },
	}, {
		Name: "UpdatePromotion",
		Make: func(ctx context.Context, tx T) error {
			p, err := setup(ctx, tx, release.PromotionRequested)
			if err != nil {
				return err
			}
			n, _, err := p.Apply(release.Transition{Trigger: release.TriggerCancel}, at)
			if err != nil {
				return err
			}
			return tx.UpdatePromotion(ctx, &n)
		},
		Refused: func(ctx context.Context, tx T) error {
			p, err := setup(ctx, tx, release.PromotionRequested)
			if err != nil {
				return err
			}
			p.Status = release.PromotionCancelled // not a new version: stale
			return tx.UpdatePromotion(ctx, p)
		},
		Made: func(ctx context.Context, tx T) (bool, error) {
			st, err := status(ctx, tx)
			return st == release.PromotionCancelled, err
		},
	}, {
		Name: "AppendApproval",
		Make: func(ctx context.Context, tx T) error {
			if _, err := setup(ctx, tx, release.PromotionPendingApproval); err != nil {
				return err
			}
			return tx.AppendApproval(ctx, approval(promoID))
		},
		Refused: func(ctx context.Context, tx T) error { return tx.AppendApproval(ctx, approval("no-such-promotion")) },
		Made: func(ctx context.Context, tx T) (bool, error) {
			as, err := tx.Approvals(ctx, tenantA, promoID)
			if errors.Is(err, fault.ErrNotFound) {
				return false, nil
			}
			return len(as) > 0, err
		},
	}, {
		Name: "ClaimDeploy",
		Make: func(ctx context.Context, tx T) error {
			if _, err := setup(ctx, tx, release.PromotionApproved); err != nil {
				return err
			}
			c, err := tx.ClaimDeploy(ctx, tenantA, "env-prod", "shop", start)
			if err == nil && c == nil {
				err = errors.New("nothing claimed")
			}
			return err
		},
		Refused: func(ctx context.Context, tx T) error {
			if _, err := setup(ctx, tx, release.PromotionApproved); err != nil {
				return err
			}
			_, err := tx.ClaimDeploy(ctx, tenantA, "env-prod", "shop", func(p release.Promotion) (release.Promotion, error) {
				p.Status = release.PromotionDeploying // not a new version: stale
				return p, nil
			})
			return err
		},
		Made: func(ctx context.Context, tx T) (bool, error) {
			st, err := status(ctx, tx)
			return st == release.PromotionDeploying, err
		},
	}}
}
