// Package promotiontest runs release.Promotions end to end on a store: real
// decisions (package decide, the built-in gates, an in-memory advisory
// snapshot and the SBOMs of the test's releases), the InProcessDeployer, and
// the store's own transactions. Package store runs it on SQLite and
// PostgreSQL.
//
//	promotiontest.Run(t, func(t *testing.T) (release.PromotionTx, release.PromotionTxFunc) {
//		db := open(t)
//		return db, release.PromotionTransactions(db.Transact)
//	})
package promotiontest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/tenant"
	"github.com/stella-ops/stella/vex"
)

const tenantID = "acme"

// Run runs the suite; open must return a new, empty store and its
// transaction function for each call. Subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) (release.PromotionTx, release.PromotionTxFunc)) {
	tests := []struct {
		name string
		fn   func(f *fixture)
	}{
		{"DevDeploysWithoutApprovals", testDev},
		{"StageWaitsForOneApproval", testStage},
		{"ProdTwoApproversAndSeparationOfDuties", testProd},
		{"KEVInProdRejectsAtRequest", testKEV},
		{"RejectByApprover", testReject},
		{"Cancel", testCancel},
		{"DeployLockQueuesTheSecond", testDeployLock},
		{"AutoPromote", testAutoPromote},
		{"DeploymentFails", testDeploymentFails},
		{"ConcurrentApprovals", testConcurrentApprovals},
		{"FreezeBeforeDeployRejects", testPreDeployDeny},
	}
	tests = append(tests, resumeTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, inTx := open(t)
			tc.fn(newFixture(t, s, inTx))
		})
	}
}

// decider is a PromotionDecider on package decide: the built-in gates, the
// test's advisory snapshot (which a test may replace, as a feed would), an
// empty VEX view and the SBOMs of the test's images. It keeps its records
// in memory, by digest.
type decider struct {
	d     *decide.Decider
	now   func() time.Time
	sboms map[string][]byte // image digest → SBOM

	mu         sync.Mutex
	advs       *scan.Advisories
	records    map[string]*gate.Decision
	issuers    *vex.Registry
	statements scan.Statements // the tenant's VEX, which a test may change as an import would
	fail       error           // the next decision's error, once
}

func (k *decider) Decide(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment, phase gate.Phase, approvals []gate.Approval) (*gate.Decision, error) {
	dr, err := release.ForDecision(ctx, rel, func(_ context.Context, img string) ([]byte, error) { return k.sboms[img], nil })
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	advs, statements, fail := k.advs, k.statements, k.fail
	k.fail = nil
	k.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	v, err := scan.NewVEX(k.issuers, statements)
	if err != nil {
		return nil, err
	}
	rec, _, err := k.d.Decide(ctx, decide.Request{Tenant: p.TenantID, PromotionID: p.ID, Phase: phase, Cutoff: k.now(),
		Release: dr, Environment: env.GateEnvironment(), Requester: gate.Requester{ID: p.RequestedBy}, Approvals: approvals,
		Advisories: advs, VEX: v})
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.records[rec.RecordDigest] = rec
	k.mu.Unlock()
	return rec, nil
}

func (k *decider) setAdvisories(t *testing.T, es ...scan.Entry) {
	t.Helper()
	a, err := scan.NewAdvisories(es)
	if err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	k.advs = a
	k.mu.Unlock()
}

func (k *decider) record(t *testing.T, digest string) *gate.Decision {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.records[digest]
	if !ok {
		t.Fatalf("no decision record %s", digest)
	}
	return rec
}

type fixture struct {
	t        *testing.T
	ctx      context.Context
	s        release.PromotionTx
	inTx     release.PromotionTxFunc
	timer    *manualTimer
	svc      *release.Promotions
	dec      *decider
	deployer *release.InProcessDeployer
	signer   attest.Signer
	verifier attest.Verifier
	hook     func(release.Promotion)       // called by the deployer before each deployment
	fail     func(release.Promotion) error // the deployment's outcome; nil: success

	mu      sync.Mutex
	at      time.Time
	events  []release.Event
	packets []*evidence.Packet
	moves   []release.PromotionEvent

	dev, stage, prod *release.Environment
	component        *release.Component
	n                int
}

func newFixture(t *testing.T, s release.PromotionTx, inTx release.PromotionTxFunc) *fixture {
	f := &fixture{t: t, ctx: tenant.WithScope(context.Background(), tenant.Scope{Tenant: tenantID, Actor: "ann"}), s: s, inTx: inTx,
		at: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), deployer: &release.InProcessDeployer{}}
	f.timer = &manualTimer{now: f.now}
	d, err := decide.New(f.ctx, decide.WithConfig(gateConfig()))
	f.must(err)
	f.dec = &decider{d: d, now: f.tick, sboms: map[string][]byte{}, records: map[string]*gate.Decision{}, issuers: issuers(t)}
	f.dec.setAdvisories(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	f.must(err)
	f.signer, err = attest.NewSigner(priv)
	f.must(err)
	f.verifier, err = attest.NewVerifier(pub)
	f.must(err)
	f.svc, err = release.NewPromotions(s, inTx, f.dec, deployerFunc(func(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment) error {
		if f.hook != nil {
			f.hook(p)
		}
		if f.fail != nil {
			if err := f.fail(p); err != nil {
				return err
			}
		}
		return f.deployer.Deploy(ctx, p, rel, env)
	}),
		release.PromotionsClock(f.tick), release.PromotionsIDs(func() string { return uuid.Must(uuid.NewV7()).String() }),
		release.PromotionsSigner(f.signer), release.PromotionsGenerator("stella-test"), release.PromotionsTimer(f.timer.after),
		release.PromotionsEvents(func(e release.Event) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() }),
		release.PromotionsPackets(func(p *evidence.Packet) { f.mu.Lock(); f.packets = append(f.packets, p); f.mu.Unlock() }),
		release.PromotionsTransitions(func(e release.PromotionEvent) { f.mu.Lock(); f.moves = append(f.moves, e); f.mu.Unlock() }))
	f.must(err)
	f.dev = f.environment("dev", 0, release.TierDevelopment, 0, false)
	f.stage = f.environment("stage", 1, release.TierStaging, 1, false)
	f.prod = f.environment("prod", 2, release.TierProduction, 2, true)
	now := f.tick()
	integ := &release.Integration{ID: uuid.NewString(), TenantID: tenantID, Name: "registry", Type: "registry.oci",
		Config:       release.IntegrationConfig{Endpoint: "127.0.0.1:5000", AuthMode: release.AuthNone, TimeoutSeconds: 30, Headers: map[string]string{}},
		HealthStatus: release.HealthUnknown, CreatedAt: now, UpdatedAt: now, Version: 1}
	f.must(s.CreateIntegration(f.ctx, integ))
	f.component = &release.Component{ID: uuid.NewString(), TenantID: tenantID, Name: "api", DisplayName: "api",
		ImageRepository: "127.0.0.1:5000/api", RegistryIntegrationID: integ.ID,
		Versioning: release.Versioning{Type: release.VersionSemver}, DefaultChannel: "stable", Metadata: map[string]string{},
		CreatedAt: now, UpdatedAt: now, Version: 1}
	f.must(s.CreateComponent(f.ctx, f.component))
	return f
}

type deployerFunc func(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment) error

func (d deployerFunc) Deploy(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment) error {
	return d(ctx, p, rel, env)
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) tick() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = f.at.Add(time.Second)
	return f.at
}

func (f *fixture) as(actor string) context.Context {
	return tenant.WithScope(context.Background(), tenant.Scope{Tenant: tenantID, Actor: actor})
}

func (f *fixture) environment(name string, order int, tier release.Tier, approvals int, sod bool) *release.Environment {
	now := f.tick()
	e := &release.Environment{ID: uuid.NewString(), TenantID: tenantID, Name: name, DisplayName: name, OrderIndex: order, Tier: tier,
		RequiredApprovals: approvals, ApproverGroups: []string{"leads"}, RequireSeparationOfDuties: sod,
		RequirePreviousEnvironment: true, FreezeWindows: []release.FreezeWindow{}, Compliance: "unknown",
		Config:    release.EnvironmentConfig{Variables: map[string]string{}, SecretRefs: []string{}, AgentLabels: []string{}, DeploymentTimeoutSeconds: 600},
		CreatedAt: now, UpdatedAt: now, Version: 1}
	f.must(f.s.CreateEnvironment(f.ctx, e))
	return e
}

// release stores a finalized release of application whose one image has an
// SBOM listing purls.
func (f *fixture) release(application string, purls ...string) *release.Release {
	f.n++
	name := fmt.Sprintf("%s-v1.%d.0", application, f.n)
	img := fmt.Sprintf("sha256:%064x", 1000+f.n)
	doc := &sbom.Document{Subject: sbom.Subject{Kind: "image", Name: f.component.ImageRepository, Digest: img}}
	for _, p := range purls {
		doc.Components = append(doc.Components, sbom.Component{PURL: p, Type: "library", Name: p})
	}
	var b bytes.Buffer
	f.must(codec.Encode(&b, doc, codec.CycloneDXJSON17))
	f.dec.sboms[img] = b.Bytes()
	now := f.tick()
	r := &release.Release{ID: uuid.NewString(), TenantID: tenantID, Application: application, Name: name, DisplayName: name,
		Status: release.StatusFinalized, Digest: fmt.Sprintf("sha256:%064x", 2000+f.n), CreatedBy: "ann", FinalizedBy: "ann", FinalizedAt: &now,
		Components: []release.ReleaseComponent{{ComponentID: f.component.ID, Name: "api", Repository: f.component.ImageRepository,
			Digest: img, Tag: "v1.0.0", Semver: "1.0.0", Role: release.RolePrimary}},
		CreatedAt: now, UpdatedAt: now, Version: 1}
	f.must(f.s.CreateRelease(f.ctx, r))
	return r
}

func (f *fixture) request(ctx context.Context, rel *release.Release, env *release.Environment) *release.Promotion {
	f.t.Helper()
	p, err := f.svc.Request(ctx, release.PromotionRequest{ReleaseID: rel.ID, Target: env.Name, Reason: "ship it"})
	f.must(err)
	return p
}

func (f *fixture) want(p *release.Promotion, st release.PromotionStatus) {
	f.t.Helper()
	if p.Status != st {
		f.t.Fatalf("promotion %s is %s, want %s (decisions %v, failure %+v)", p.ID, p.Status, st, p.DecisionIDs, p.Failure)
	}
	got, err := f.s.GetPromotion(f.ctx, tenantID, p.ID)
	f.must(err)
	if got.Status != st || got.Version != p.Version {
		f.t.Fatalf("stored promotion %s is %s v%d, returned %s v%d", p.ID, got.Status, got.Version, p.Status, p.Version)
	}
}

var approver = func(id string) release.Approver { return release.Approver{ID: id, Name: id, Groups: []string{"leads"}} }

// deployTo takes rel through dev (and stage, with one approval) so that a
// promotion into the next environment is allowed.
func (f *fixture) deployTo(rel *release.Release, env *release.Environment) {
	f.t.Helper()
	f.want(f.request(f.ctx, rel, f.dev), release.PromotionDeployed)
	if env == f.dev {
		return
	}
	p := f.request(f.ctx, rel, f.stage)
	f.want(p, release.PromotionPendingApproval)
	p, err := f.svc.Approve(f.as("bob"), p.ID, approver("bob"), "lgtm")
	f.must(err)
	f.want(p, release.PromotionDeployed)
}

// audited checks that every version of p was written with an audit entry:
// the request, then one per transition.
func (f *fixture) audited(p *release.Promotion) {
	f.t.Helper()
	page, err := f.s.ListAudit(f.ctx, tenantID, release.AuditFilter{EntityType: "promotion", EntityID: p.ID}, release.ListOptions{First: 500})
	f.must(err)
	if len(page.Items) != p.Version {
		var actions []string
		for _, e := range page.Items {
			actions = append(actions, e.Action)
		}
		f.t.Fatalf("promotion %s at version %d has %d audit entries: %v", p.ID, p.Version, len(page.Items), actions)
	}
	// One entry's after digest is the promotion as stored now, and every
	// entry but the request's has a before digest.
	got, err := f.s.GetPromotion(f.ctx, tenantID, p.ID)
	f.must(err)
	want, err := canon.Digest(got)
	f.must(err)
	found := false
	for _, e := range page.Items {
		found = found || e.AfterDigest == want
		if (e.Action == "promotion.request") == (e.BeforeDigest != "") {
			f.t.Errorf("audit entry %s: before digest %q", e.Action, e.BeforeDigest)
		}
	}
	if !found {
		f.t.Fatalf("no audit entry of promotion %s ends at its stored value", p.ID)
	}
}

// eventTypes lists the events published about p, in order.
func (f *fixture) eventTypes(p *release.Promotion) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		if e.EntityID == p.ID {
			out = append(out, e.Type)
		}
	}
	return out
}

// packetsOf returns the packets sealed for p, checked against the key.
// lastPacket verifies the last packet sealed for p with the fixture's key.
func (f *fixture) lastPacket(p *release.Promotion) *evidence.Info {
	f.t.Helper()
	f.mu.Lock()
	var pkt *evidence.Packet
	for _, pk := range f.packets {
		if pk.PromotionID == p.ID {
			pkt = pk
		}
	}
	f.mu.Unlock()
	if pkt == nil {
		f.t.Fatalf("no packet for promotion %s", p.ID)
	}
	raw, err := pkt.Canonical()
	f.must(err)
	info, err := evidence.Verify(f.ctx, raw, attest.Trust{Verifiers: []attest.Verifier{f.verifier}})
	f.must(err)
	return info
}

func (f *fixture) packetsOf(p *release.Promotion) []evidence.Type {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []evidence.Type
	for _, pk := range f.packets {
		if pk.PromotionID != p.ID {
			continue
		}
		if !slices.Contains(p.EvidencePacketIDs, pk.ID) {
			f.t.Errorf("packet %s (%s) not recorded on promotion %s: %v", pk.ID, pk.Type, p.ID, p.EvidencePacketIDs)
		}
		out = append(out, pk.Type)
	}
	if len(out) != len(p.EvidencePacketIDs) {
		f.t.Errorf("promotion %s records packets %v, %d sealed", p.ID, p.EvidencePacketIDs, len(out))
	}
	stored, err := f.svc.Packets(f.ctx, p.ID)
	f.must(err)
	var ids []string
	for _, pk := range stored {
		ids = append(ids, pk.ID)
		raw, err := pk.Canonical()
		f.must(err)
		if _, err := evidence.Verify(f.ctx, raw, attest.Trust{Verifiers: []attest.Verifier{f.verifier}}); err != nil {
			f.t.Errorf("stored packet %s (%s): %v", pk.ID, pk.Type, err)
		}
	}
	if !slices.Equal(ids, p.EvidencePacketIDs) {
		f.t.Errorf("stored packets %v, promotion records %v", ids, p.EvidencePacketIDs)
	}
	return out
}

func testDev(f *fixture) {
	rel := f.release("shop", "pkg:golang/example.com/clean@v1.0.0")
	p := f.request(f.ctx, rel, f.dev)
	f.want(p, release.PromotionDeployed)
	if p.FinalDecisionID == "" || len(p.DecisionIDs) != 2 || p.DeploymentJobID == "" || p.StartedAt == nil || p.CompletedAt == nil {
		f.t.Fatalf("deployed promotion: %+v", p)
	}
	if rec := f.dec.record(f.t, p.FinalDecisionID); rec.Phase != gate.PhasePreDeploy || rec.Decision != gate.Allow {
		f.t.Fatalf("final decision %s %s", rec.Phase, rec.Decision)
	}
	if got := f.eventTypes(p); !slices.Equal(got, []string{release.EventPromotionRequested, release.EventPromotionApproved,
		release.EventPromotionStarted, release.EventPromotionCompleted}) {
		f.t.Fatalf("events %v", got)
	}
	f.transitions(p, release.PromotionRequested, release.PromotionPendingGate, release.PromotionPendingApproval,
		release.PromotionApproved, release.PromotionDeploying, release.PromotionDeployed)
	f.currentRelease(p)
	if got := f.packetsOf(p); !slices.Equal(got, []evidence.Type{evidence.ReleaseDecision, evidence.Deployment}) {
		f.t.Fatalf("packets %v", got)
	}
	if ds := f.deployer.Deployments(); len(ds) != 1 || ds[0].PromotionID != p.ID || ds[0].JobID != p.DeploymentJobID {
		f.t.Fatalf("deployments %+v", ds)
	}
	current, ok := f.s.(interface {
		CurrentRelease(ctx context.Context, tenant, envID, application string) (string, error)
	})
	if ok {
		id, err := current.CurrentRelease(f.ctx, tenantID, f.dev.ID, "shop")
		f.must(err)
		if id != rel.ID {
			f.t.Fatalf("current release of shop in dev: %q, want %s", id, rel.ID)
		}
	}
	f.audited(p)
}

func testStage(f *fixture) {
	rel := f.release("shop")
	f.want(f.request(f.ctx, rel, f.dev), release.PromotionDeployed)
	p := f.request(f.ctx, rel, f.stage)
	f.want(p, release.PromotionPendingApproval)
	if rec := f.dec.record(f.t, p.DecisionIDs[len(p.DecisionIDs)-1]); rec.Decision != gate.Pending || !slices.Contains(rec.ReasonCodes, "approvals.missing") {
		f.t.Fatalf("request decision %s %v", rec.Decision, rec.ReasonCodes)
	}
	// Someone outside the approver groups is refused.
	_, err := f.svc.Approve(f.as("eve"), p.ID, release.Approver{ID: "eve", Groups: []string{"devs"}}, "")
	var pre *fault.PreconditionError
	if !errors.As(err, &pre) || pre.Code != "APPROVER_NOT_ELIGIBLE" {
		f.t.Fatalf("ineligible approver: %v", err)
	}
	p, err = f.svc.Approve(f.as("bob"), p.ID, approver("bob"), "lgtm")
	f.must(err)
	f.want(p, release.PromotionDeployed)
	if rec := f.dec.record(f.t, p.FinalDecisionID); rec.Phase != gate.PhasePreDeploy || len(rec.Approvals) != 1 {
		f.t.Fatalf("final decision %s, approvals %+v", rec.Phase, rec.Approvals)
	}
	if got := f.packetsOf(p); !slices.Equal(got, []evidence.Type{evidence.ReleaseDecision, evidence.Deployment}) {
		f.t.Fatalf("packets %v", got)
	}
	f.audited(p)
}

func testProd(f *fixture) {
	rel := f.release("shop")
	f.deployTo(rel, f.stage)
	p := f.request(f.ctx, rel, f.prod) // requested by ann
	f.want(p, release.PromotionPendingApproval)
	_, err := f.svc.Approve(f.ctx, p.ID, approver("ann"), "my own")
	var pre *fault.PreconditionError
	if !errors.As(err, &pre) || pre.Code != "SOD_VIOLATION" {
		f.t.Fatalf("requester approving: %v", err)
	}
	p, err = f.svc.Approve(f.as("bob"), p.ID, approver("bob"), "")
	f.must(err)
	f.want(p, release.PromotionPendingApproval)
	// bob twice still counts once.
	p, err = f.svc.Approve(f.as("bob"), p.ID, approver("bob"), "again")
	f.must(err)
	f.want(p, release.PromotionPendingApproval)
	p, err = f.svc.Approve(f.as("carol"), p.ID, approver("carol"), "")
	f.must(err)
	f.want(p, release.PromotionDeployed)
	if got := f.eventTypes(p); !slices.Equal(got, []string{release.EventPromotionRequested, release.EventPromotionApproved,
		release.EventPromotionStarted, release.EventPromotionCompleted}) {
		f.t.Fatalf("events %v", got)
	}
	f.audited(p)
	// Approver entries are audited too, as approvals.
	page, err := f.s.ListAudit(f.ctx, tenantID, release.AuditFilter{EntityType: "approval"}, release.ListOptions{First: 500})
	f.must(err)
	if len(page.Items) != 4 { // stage's one, prod's three
		f.t.Fatalf("%d approval audit entries", len(page.Items))
	}
}

func testKEV(f *fixture) {
	rel := f.release("shop", "pkg:golang/golang.org/x/net@v0.16.0")
	f.deployTo(rel, f.stage)
	// The advisory is published after the release reached stage; it is in
	// CISA's KEV catalogue, added long enough ago that the grace has run out.
	f.dec.setAdvisories(f.t, scan.Entry{Advisory: advisory.Advisory{ID: "GO-2026-0001", Aliases: []string{"CVE-2026-0001"},
		Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: "golang.org/x/net"},
			Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}}}},
		KEV: &advisory.KEV{DateAdded: "2026-01-10"}})
	p := f.request(f.ctx, rel, f.prod)
	f.want(p, release.PromotionRejected)
	rec := f.dec.record(f.t, p.FinalDecisionID)
	if rec.Phase != gate.PhaseRequest || rec.Decision != gate.Deny || !slices.Contains(rec.ReasonCodes, "kev.grace-expired") {
		f.t.Fatalf("final decision %s %s %v", rec.Phase, rec.Decision, rec.ReasonCodes)
	}
	if got := f.eventTypes(p); !slices.Equal(got, []string{release.EventPromotionRequested, release.EventPromotionRejected}) {
		f.t.Fatalf("events %v", got)
	}
	if got := f.packetsOf(p); !slices.Equal(got, []evidence.Type{evidence.ReleaseDecision}) {
		f.t.Fatalf("packets %v", got)
	}
	// The packet carries the reason codes and verifies with the key.
	if info := f.lastPacket(p); !slices.Contains(info.Content.Why.ReasonCodes, "kev.grace-expired") || info.Content.Why.DecisionRecordDigest != rec.RecordDigest {
		f.t.Fatalf("packet why %+v", info.Content.Why)
	}
	if len(f.deployer.Deployments()) != 2 { // dev and stage only
		f.t.Fatalf("deployments %+v", f.deployer.Deployments())
	}
	f.audited(p)
}

func testReject(f *fixture) {
	rel := f.release("shop")
	f.want(f.request(f.ctx, rel, f.dev), release.PromotionDeployed)
	p := f.request(f.ctx, rel, f.stage)
	p, err := f.svc.Reject(f.as("bob"), p.ID, approver("bob"), "not this week")
	f.must(err)
	f.want(p, release.PromotionRejected)
	if rec := f.dec.record(f.t, p.FinalDecisionID); !slices.Contains(rec.ReasonCodes, "approvals.rejected") {
		f.t.Fatalf("final decision %v", rec.ReasonCodes)
	}
	if _, err := f.svc.Approve(f.as("carol"), p.ID, approver("carol"), ""); !errors.Is(err, fault.ErrConflict) {
		f.t.Fatalf("approving a rejected promotion: %v", err)
	}
	f.audited(p)
}

func testCancel(f *fixture) {
	rel := f.release("shop")
	f.want(f.request(f.ctx, rel, f.dev), release.PromotionDeployed)
	p := f.request(f.ctx, rel, f.stage)
	f.want(p, release.PromotionPendingApproval)
	p, err := f.svc.Cancel(f.ctx, p.ID)
	f.must(err)
	f.want(p, release.PromotionCancelled)
	if _, err := f.svc.Cancel(f.ctx, p.ID); !errors.Is(err, fault.ErrConflict) {
		f.t.Fatalf("cancelling twice: %v", err)
	}
	if got := f.eventTypes(p); !slices.Equal(got, []string{release.EventPromotionRequested, release.EventPromotionCancelled}) {
		f.t.Fatalf("events %v", got)
	}
	// A cancelled promotion does not block a new one.
	f.want(f.request(f.ctx, rel, f.stage), release.PromotionPendingApproval)
	f.audited(p)
}

// While the first release of shop deploys into dev, the second is
// requested: it is approved but waits for the lane, and deploys when the
// first is done.
func testDeployLock(f *fixture) {
	first, second := f.release("shop"), f.release("shop")
	other := f.release("billing")
	var queued, parallel *release.Promotion
	f.hook = func(p release.Promotion) {
		if p.ReleaseID != first.ID {
			return
		}
		f.hook = nil
		queued = f.request(f.ctx, second, f.dev)
		// Another application deploys in parallel.
		parallel = f.request(f.ctx, other, f.dev)
	}
	p := f.request(f.ctx, first, f.dev)
	f.want(p, release.PromotionDeployed)
	if queued == nil || queued.Status != release.PromotionApproved {
		f.t.Fatalf("second promotion while the first deployed: %+v", queued)
	}
	if parallel == nil || parallel.Status != release.PromotionDeployed {
		f.t.Fatalf("another application's promotion: %+v", parallel)
	}
	q, err := f.svc.Get(f.ctx, queued.ID)
	f.must(err)
	f.want(q, release.PromotionDeployed)
	var order []string
	for _, d := range f.deployer.Deployments() {
		order = append(order, d.PromotionID)
	}
	if !slices.Equal(order, []string{parallel.ID, p.ID, q.ID}) {
		f.t.Fatalf("deployment order %v, want other app, first, second", order)
	}
	f.audited(p)
	f.audited(q)
}

// An environment with autoPromoteFrom = dev gets a promotion requested by
// the system when a release reaches dev.
func testAutoPromote(f *fixture) {
	f.stage.AutoPromoteFrom = f.dev.ID
	f.stage.RequiredApprovals = 0
	f.stage.Version++
	f.must(f.s.UpdateEnvironment(f.ctx, f.stage))
	rel := f.release("shop")
	f.want(f.request(f.ctx, rel, f.dev), release.PromotionDeployed)
	page, err := f.s.ListPromotions(f.ctx, tenantID, release.PromotionFilter{TargetEnvironmentID: f.stage.ID}, release.ListOptions{})
	f.must(err)
	if len(page.Items) != 1 {
		f.t.Fatalf("%d promotions into stage", len(page.Items))
	}
	p := page.Items[0]
	if p.RequestedBy != release.AutoPromoteActor || p.Status != release.PromotionDeployed || p.SourceEnvironmentID != f.dev.ID {
		f.t.Fatalf("auto-promotion %+v", p)
	}
	f.audited(&p)
	audit, err := f.s.ListAudit(f.ctx, tenantID, release.AuditFilter{EntityID: p.ID, Actor: release.AutoPromoteActor}, release.ListOptions{})
	f.must(err)
	if len(audit.Items) != p.Version {
		f.t.Fatalf("auto-promotion audited as %d entries by %s", len(audit.Items), release.AutoPromoteActor)
	}
}

func testDeploymentFails(f *fixture) {
	f.fail = func(release.Promotion) error { return errors.New("target unreachable") }
	rel := f.release("shop")
	p := f.request(f.ctx, rel, f.dev)
	f.want(p, release.PromotionFailed)
	if p.Failure == nil || p.Failure.Code != "DEPLOYMENT_FAILED" || p.CompletedAt != nil {
		f.t.Fatalf("failed promotion %+v", p)
	}
	if got := f.eventTypes(p); !slices.Equal(got, []string{release.EventPromotionRequested, release.EventPromotionApproved,
		release.EventPromotionStarted, release.EventPromotionFailed}) {
		f.t.Fatalf("events %v", got)
	}
	if got := f.packetsOf(p); !slices.Equal(got, []evidence.Type{evidence.ReleaseDecision, evidence.Deployment}) {
		f.t.Fatalf("packets %v", got)
	}
	// The signed content says the job failed, and why.
	if h := f.lastPacket(p).Content.How; h == nil || h.Outcome != evidence.OutcomeFailed || h.Failure == nil ||
		h.Failure.Code != "DEPLOYMENT_FAILED" || h.Failure.Message != "target unreachable" || h.DeploymentJobID != p.DeploymentJobID {
		f.t.Fatalf("deployment packet how %+v", h)
	}
	if current, ok := f.s.(interface {
		CurrentRelease(ctx context.Context, tenant, envID, application string) (string, error)
	}); ok {
		id, err := current.CurrentRelease(f.ctx, tenantID, f.dev.ID, "shop")
		f.must(err)
		if id != "" {
			f.t.Fatalf("a failed deployment set the current release %s", id)
		}
	}
	// The lane is free again: the next release deploys.
	f.fail = nil
	f.want(f.request(f.ctx, f.release("shop"), f.dev), release.PromotionDeployed)
	f.audited(p)
}

// A freeze starts while the second release waits for the lane: its
// pre-deploy decision denies, and it is rejected without deploying.
func testPreDeployDeny(f *fixture) {
	first, second := f.release("shop"), f.release("shop")
	var queued *release.Promotion
	f.hook = func(p release.Promotion) {
		if p.ReleaseID != first.ID {
			return
		}
		f.hook = nil
		queued = f.request(f.ctx, second, f.dev)
		env, err := f.s.GetEnvironment(f.ctx, tenantID, f.dev.ID)
		f.must(err)
		now := f.tick()
		env.FreezeWindows = []release.FreezeWindow{{ID: uuid.NewString(), Start: now, End: now.Add(24 * time.Hour),
			Reason: "incident", CreatedBy: "ann", Exceptions: []string{}}}
		env.Version++
		f.must(f.s.UpdateEnvironment(f.ctx, env))
	}
	f.want(f.request(f.ctx, first, f.dev), release.PromotionDeployed)
	if queued == nil || queued.Status != release.PromotionApproved {
		f.t.Fatalf("queued promotion %+v", queued)
	}
	q, err := f.svc.Get(f.ctx, queued.ID)
	f.must(err)
	f.want(q, release.PromotionRejected)
	rec := f.dec.record(f.t, q.FinalDecisionID)
	if rec.Phase != gate.PhasePreDeploy || rec.Decision != gate.Deny || !slices.Contains(rec.ReasonCodes, "freeze-window.active") {
		f.t.Fatalf("final decision %s %s %v", rec.Phase, rec.Decision, rec.ReasonCodes)
	}
	if got := f.packetsOf(q); !slices.Equal(got, []evidence.Type{evidence.ReleaseDecision}) {
		f.t.Fatalf("packets %v", got)
	}
	if n := len(f.deployer.Deployments()); n != 1 {
		f.t.Fatalf("%d deployments", n)
	}
	f.audited(q)
}

// The two approvals prod needs arrive at once: both are kept, neither
// caller sees the other's race, and the promotion deploys once.
func testConcurrentApprovals(f *fixture) {
	rel := f.release("shop")
	f.deployTo(rel, f.stage)
	p := f.request(f.ctx, rel, f.prod)
	f.want(p, release.PromotionPendingApproval)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []string{"bob", "carol"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.Approve(f.as(who), p.ID, approver(who), "")
		}()
	}
	wg.Wait()
	f.must(errors.Join(errs...))
	got, err := f.svc.Get(f.ctx, p.ID)
	f.must(err)
	f.want(got, release.PromotionDeployed)
	n := 0
	for _, d := range f.deployer.Deployments() {
		if d.PromotionID == p.ID {
			n++
		}
	}
	if n != 1 {
		f.t.Fatalf("promotion deployed %d times", n)
	}
	f.audited(got)
}
