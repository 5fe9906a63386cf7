package promotiontest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/vex"
)

// resumeTests keep promotions going by themselves: re-evaluation after a
// VEX change, the NotBefore schedule, and recovery after a crash.
var resumeTests = []struct {
	name string
	fn   func(f *fixture)
}{
	{"VEXChangeReevaluatesPending", testVEXChange},
	{"NotBeforeScheduleFires", testNotBefore},
	{"RecoverFinishesStuckPromotions", testRecover},
}

// Schedule windows (UTC) of two environments only these tests create; the
// fixture's clock starts at 12:00.
const (
	earlyOpens = "15:00"
	lateOpens  = "22:00"
)

// gateConfig is the built-in gates, a schedule window for the environments
// "early" and "late" (open always elsewhere), and a vex-trust floor in
// stage low enough for a vendor's unsigned statement.
func gateConfig() gate.Config {
	cfg := builtin.DefaultConfig()
	for i, g := range cfg.Gates {
		if g.Type == builtin.TypeVEXTrust {
			cfg.Gates[i].Environments = map[string]map[string]any{"stage": {"minConfidence": 0.3}}
		}
	}
	window := func(start, end string) map[string]any {
		return map[string]any{"windows": []any{map[string]any{"start": start, "end": end}}}
	}
	cfg.Gates = append(cfg.Gates, gate.GateConfig{ID: "schedule", Type: builtin.TypeScheduleWindow,
		Environments: map[string]map[string]any{"early": window(earlyOpens, "16:00"), "late": window(lateOpens, "23:00")}})
	return cfg
}

// issuers is the tenant's VEX registry: one vendor.
func issuers(t *testing.T) *vex.Registry {
	reg, err := vex.NewRegistry("2026-03", vex.Issuer{ID: "acme", Name: "ACME", Class: vex.ClassVendor})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func (k *decider) setVEX(ss ...vex.Statement) {
	k.mu.Lock()
	k.statements = ss
	k.mu.Unlock()
}

func (k *decider) failNext(err error) {
	k.mu.Lock()
	k.fail = err
	k.mu.Unlock()
}

// Decision reads a record back (release.DecisionReader).
func (k *decider) Decision(_ context.Context, _, digest string) (*gate.Decision, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.records[digest]
	if !ok {
		return nil, errors.New("no decision record " + digest)
	}
	return rec, nil
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

func (f *fixture) setClock(at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = at
}

// manualTimer is a release.AfterFunc the test fires by hand: nothing
// waits for real time.
type manualTimer struct {
	now func() time.Time

	mu      sync.Mutex
	pending []*manualEntry
}

type manualEntry struct {
	at       time.Time
	f        func()
	stopped  bool
	consumed bool
}

func (m *manualTimer) after(d time.Duration, fn func()) func() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := &manualEntry{at: m.now().Add(d), f: fn}
	m.pending = append(m.pending, e)
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		was := !e.stopped && !e.consumed
		e.stopped = true
		return was
	}
}

// armed is the one timer waiting, nil when none is.
func (m *manualTimer) armed(t *testing.T) *manualEntry {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var live []*manualEntry
	for _, e := range m.pending {
		if !e.stopped && !e.consumed {
			live = append(live, e)
		}
	}
	if len(live) > 1 {
		t.Fatalf("%d timers armed, want at most one", len(live))
	}
	if len(live) == 0 {
		return nil
	}
	return live[0]
}

// fire moves the clock to the armed timer's time and runs it here.
func (f *fixture) fire() {
	f.t.Helper()
	e := f.timer.armed(f.t)
	if e == nil {
		f.t.Fatal("no timer armed")
	}
	f.timer.mu.Lock()
	e.consumed = true
	f.timer.mu.Unlock()
	f.setClock(e.at)
	e.f()
}

func (f *fixture) get(id string) *release.Promotion {
	f.t.Helper()
	p, err := f.svc.Get(f.ctx, id)
	f.must(err)
	return p
}

// A promotion into stage waits for its approval while a KEV-listed
// advisory's finding is suppressed by the vendor's not_affected statement.
// The vendor then says affected: the VEX change evaluates the pending
// promotion again, and the finding, active now, rejects it.
func testVEXChange(f *fixture) {
	rel := f.release("shop", "pkg:golang/golang.org/x/net@v0.16.0")
	f.deployTo(rel, f.dev)
	f.dec.setAdvisories(f.t, scan.Entry{Advisory: advisory.Advisory{ID: "GO-2026-0001", Aliases: []string{"CVE-2026-0001"},
		Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: "golang.org/x/net"},
			Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}}}},
		KEV: &advisory.KEV{DateAdded: "2026-01-10"}})
	image := rel.Components[0].Digest
	statement := func(st vex.Status, at time.Time) vex.Statement {
		s := vex.Statement{Issuer: "acme", Vulnerability: "CVE-2026-0001", Product: vex.Product{Ref: image}, Status: st, Timestamp: at}
		if st == vex.StatusNotAffected {
			s.Justification = vex.JustificationCodeNotInExecutePath
		}
		return s
	}
	f.dec.setVEX(statement(vex.StatusNotAffected, f.now().AddDate(0, -1, 0)))
	p := f.request(f.ctx, rel, f.stage)
	f.want(p, release.PromotionPendingApproval)

	// Nothing changed: evaluating again moves nothing and writes nothing.
	n, err := f.svc.EvaluatePending(f.ctx)
	f.must(err)
	if n != 1 {
		f.t.Fatalf("%d pending promotions evaluated, want 1", n)
	}
	f.want(f.get(p.ID), release.PromotionPendingApproval)
	if got := f.get(p.ID); got.Version != p.Version {
		f.t.Fatalf("an evaluation that changed nothing wrote version %d (was %d)", got.Version, p.Version)
	}

	f.dec.setVEX(statement(vex.StatusNotAffected, f.now().AddDate(0, -1, 0)), statement(vex.StatusAffected, f.now()))
	f.svc.Changed(f.as("vex-importer"), "vex.import")
	got := f.get(p.ID)
	f.want(got, release.PromotionRejected)
	if rec := f.dec.record(f.t, got.FinalDecisionID); !slices.Contains(rec.ReasonCodes, "kev.grace-expired") {
		f.t.Fatalf("final decision %s %v", rec.Decision, rec.ReasonCodes)
	}
	if ev := f.eventTypes(got); !slices.Equal(ev, []string{release.EventPromotionRequested, release.EventPromotionRejected}) {
		f.t.Fatalf("events %v", ev)
	}
	f.audited(got)
	audit, err := f.s.ListAudit(f.ctx, tenantID, release.AuditFilter{EntityID: p.ID, Actor: "vex-importer"}, release.ListOptions{})
	f.must(err)
	if len(audit.Items) != 1 || audit.Items[0].Action != "promotion."+string(release.TriggerDecisionDeny) {
		f.t.Fatalf("re-evaluation audited as %+v", audit.Items)
	}
}

// Two environments open a deployment window at 15:00 and 22:00. A promotion
// into the late one is pending on the window when the schedule starts: the
// schedule reads its NotBefore from the store. A promotion into the early
// one then sets the timer sooner. Each deploys when its window opens, and
// nothing waits for real time: the test fires the timer.
func testNotBefore(f *fixture) {
	late := f.environment("late", 3, release.TierProduction, 0, false)
	early := f.environment("early", 4, release.TierProduction, 0, false)
	for _, e := range []*release.Environment{late, early} {
		e.RequirePreviousEnvironment = false
		e.Version++
		f.must(f.s.UpdateEnvironment(f.ctx, e))
	}
	day := f.now().Truncate(24 * time.Hour)
	at := func(clock string) time.Time {
		c, err := time.Parse("15:04", clock)
		f.must(err)
		return day.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute)
	}

	pl := f.request(f.ctx, f.release("shop"), late)
	f.want(pl, release.PromotionPendingGate)
	if pl.NotBefore == nil || !pl.NotBefore.Equal(at(lateOpens)) {
		f.t.Fatalf("late promotion waits until %v, want %v", pl.NotBefore, at(lateOpens))
	}
	if rec := f.dec.record(f.t, pl.DecisionIDs[len(pl.DecisionIDs)-1]); rec.Decision != gate.Pending || !slices.Contains(rec.PendingOn, "schedule") {
		f.t.Fatalf("decision %s pending on %v", rec.Decision, rec.PendingOn)
	}
	if f.timer.armed(f.t) != nil {
		f.t.Fatal("a timer is armed before the schedule runs")
	}

	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	f.must(f.svc.RunSchedule(ctx))
	if e := f.timer.armed(f.t); e == nil || !e.at.Equal(at(lateOpens)) {
		f.t.Fatalf("the schedule read from the store waits until %+v, want %v", e, at(lateOpens))
	}

	pe := f.request(f.ctx, f.release("billing"), early)
	f.want(pe, release.PromotionPendingGate)
	if e := f.timer.armed(f.t); e == nil || !e.at.Equal(at(earlyOpens)) {
		f.t.Fatalf("after a sooner NotBefore the schedule waits until %+v, want %v", e, at(earlyOpens))
	}

	f.fire() // 15:00
	f.want(f.get(pe.ID), release.PromotionDeployed)
	f.want(f.get(pl.ID), release.PromotionPendingGate)
	if got := f.get(pe.ID); got.NotBefore != nil {
		f.t.Fatalf("a deployed promotion keeps NotBefore %v", got.NotBefore)
	}
	if e := f.timer.armed(f.t); e == nil || !e.at.Equal(at(lateOpens)) {
		f.t.Fatalf("after 15:00 the schedule waits until %+v, want %v", e, at(lateOpens))
	}
	audit, err := f.s.ListAudit(f.ctx, tenantID, release.AuditFilter{EntityID: pe.ID, Actor: release.ScheduleActor}, release.ListOptions{})
	f.must(err)
	if len(audit.Items) == 0 {
		f.t.Fatalf("the schedule's transitions are not audited as %s", release.ScheduleActor)
	}

	f.fire() // 22:00
	got := f.get(pl.ID)
	f.want(got, release.PromotionDeployed)
	if e := f.timer.armed(f.t); e != nil {
		f.t.Fatalf("a timer is armed for %v with nothing waiting", e.at)
	}
	f.audited(got)
	if n := len(f.deployer.Deployments()); n != 2 {
		f.t.Fatalf("%d deployments", n)
	}
}

// A process dies with one promotion deploying (its job started), one
// approved behind it in the same lane, and one whose first evaluation
// failed (stored, pending_gate with no decision). Another service on the same store (the restarted
// process, with the same deployer, which knows the job) recovers them all,
// deploying each once; a second Recover finds nothing to do.
func testRecover(f *fixture) {
	first, second := f.release("shop"), f.release("shop")
	// The process "dies" while the first job runs: its deployer took the
	// job and never returns while the test goes on, as a killed process
	// never writes the job's end. At the end it returns, as a zombie would,
	// and must not overwrite what the restarted process wrote.
	started, dead := make(chan struct{}), make(chan struct{})
	var queued *release.Promotion
	f.hook = func(p release.Promotion) {
		if p.ReleaseID != first.ID {
			return
		}
		f.hook = nil
		queued = f.request(f.ctx, second, f.dev) // approved, behind the first
	}
	f.fail = func(p release.Promotion) error {
		if p.ReleaseID != first.ID {
			return nil
		}
		f.must(f.deployer.Deploy(context.Background(), p, first, f.dev)) // the job started
		close(started)
		<-dead
		return errors.New("the process is gone")
	}
	type result struct {
		p   *release.Promotion
		err error
	}
	zombie := make(chan result, 1)
	go func() {
		p, err := f.svc.Request(f.ctx, release.PromotionRequest{ReleaseID: first.ID, Target: f.dev.Name})
		zombie <- result{p, err}
	}()
	<-started
	page, err := f.s.ListPromotions(f.ctx, tenantID, release.PromotionFilter{ReleaseID: first.ID}, release.ListOptions{})
	f.must(err)
	if len(page.Items) != 1 || page.Items[0].Status != release.PromotionDeploying || queued.Status != release.PromotionApproved {
		f.t.Fatalf("before the restart: %+v, queued %s", page.Items, queued.Status)
	}
	stuck := page.Items[0]

	// A first evaluation that fails leaves the promotion stored, its
	// evaluation started, and says so.
	third := f.release("billing")
	f.dec.failNext(errors.New("advisory store unreachable"))
	_, reqErr := f.svc.Request(f.ctx, release.PromotionRequest{ReleaseID: third.ID, Target: f.dev.Name})
	if reqErr == nil || !strings.Contains(reqErr.Error(), "advisory store unreachable") || !strings.Contains(reqErr.Error(), "stays stored") {
		f.t.Fatalf("failed evaluation: %v", reqErr)
	}
	page, err = f.s.ListPromotions(f.ctx, tenantID, release.PromotionFilter{ReleaseID: third.ID}, release.ListOptions{})
	f.must(err)
	if len(page.Items) != 1 || page.Items[0].Status != release.PromotionPendingGate || len(page.Items[0].DecisionIDs) != 0 {
		f.t.Fatalf("after a failed evaluation: %+v", page.Items)
	}
	requested := page.Items[0]
	if !strings.Contains(reqErr.Error(), requested.ID) {
		f.t.Fatalf("the error does not name the promotion %s: %v", requested.ID, reqErr)
	}
	if n := len(f.deployer.Deployments()); n != 1 {
		f.t.Fatalf("%d deployments before the restart", n)
	}

	restarted, err := release.NewPromotions(f.s, f.inTx, f.dec, f.deployer, release.PromotionsClock(f.tick),
		release.PromotionsSigner(f.signer), release.PromotionsGenerator("stella-test"),
		release.PromotionsEvents(func(e release.Event) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() }))
	f.must(err)
	rec, err := restarted.Recover(context.Background())
	f.must(err)
	if rec != (release.Recovery{Evaluated: 1, Lanes: 0, Resumed: 1}) {
		f.t.Fatalf("recovery %+v", rec)
	}
	for _, id := range []string{stuck.ID, queued.ID, requested.ID} {
		got := f.get(id)
		f.want(got, release.PromotionDeployed)
		f.audited(got)
	}
	got := f.get(stuck.ID)
	if got.DeploymentJobID != stuck.DeploymentJobID {
		f.t.Fatalf("job %s resumed as %s", stuck.DeploymentJobID, got.DeploymentJobID)
	}
	// The deployment packet names the pre-deploy decision it started with.
	if got.FinalDecisionID != stuck.FinalDecisionID {
		f.t.Fatalf("final decision %s, was %s", got.FinalDecisionID, stuck.FinalDecisionID)
	}
	audit, err := f.s.ListAudit(f.ctx, tenantID, release.AuditFilter{EntityID: stuck.ID, Actor: release.RecoverActor}, release.ListOptions{})
	f.must(err)
	if len(audit.Items) != 1 || audit.Items[0].Action != "promotion."+string(release.TriggerJobSucceeded) {
		f.t.Fatalf("recovery audited as %+v", audit.Items)
	}
	counts := map[string]int{}
	var order []string
	for _, d := range f.deployer.Deployments() {
		counts[d.PromotionID]++
		order = append(order, d.PromotionID)
	}
	if len(counts) != 3 || counts[stuck.ID] != 1 || counts[queued.ID] != 1 || counts[requested.ID] != 1 {
		f.t.Fatalf("deployments %v", counts)
	}
	if i, j := slices.Index(order, stuck.ID), slices.Index(order, queued.ID); i > j {
		f.t.Fatalf("deployment order %v: the queued promotion went before the one deploying", order)
	}

	// The dead process's late end changes nothing: its write of a failure
	// is refused (the version moved on), and it reads the promotion back
	// as the restarted process left it.
	recovered := f.get(stuck.ID)
	close(dead)
	if z := <-zombie; z.err != nil || z.p.Status != release.PromotionDeployed || z.p.Failure != nil {
		f.t.Fatalf("the zombie's end: %+v, %v", z.p, z.err)
	}
	if got := f.get(stuck.ID); got.Status != release.PromotionDeployed || got.Failure != nil || got.Version != recovered.Version {
		f.t.Fatalf("after the zombie: %+v", got)
	}

	// Nothing is left to resume.
	rec, err = restarted.Recover(context.Background())
	f.must(err)
	if rec != (release.Recovery{}) || len(f.deployer.Deployments()) != 3 {
		f.t.Fatalf("second recovery %+v, %d deployments", rec, len(f.deployer.Deployments()))
	}
}
