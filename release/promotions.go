package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/tenant"
)

// PromotionTx is what the promotion service reads and writes, on the pool
// or inside one transaction: the catalog (releases, environments, the audit
// log), the promotions, and the release each environment runs.
// *store.DB and *store.Tx implement it.
type PromotionTx interface {
	Store
	PromotionStore
	EvidenceStore
	// SetCurrentRelease records the release of an application now deployed
	// in an environment, replacing the one before.
	SetCurrentRelease(ctx context.Context, tenant string, c CurrentRelease) error
}

// EvidenceStore keeps sealed evidence packets (release.md §6 rule 4).
// Packets are append-only: there is no update or delete.
type EvidenceStore interface {
	// AppendPacket stores a sealed packet; a taken id is a *fault.ConflictError.
	AppendPacket(ctx context.Context, p *evidence.Packet) error
	// Packets returns a promotion's packets in the order sealed.
	Packets(ctx context.Context, tenant, promotionID string) ([]evidence.Packet, error)
}

// PromotionTxFunc runs fn in one transaction: fn's writes commit together
// when it returns nil and roll back together otherwise.
type PromotionTxFunc func(ctx context.Context, fn func(tx PromotionTx) error) error

// PromotionTransactions adapts a store's own transaction method, whose
// transaction is a concrete type, to a PromotionTxFunc:
//
//	release.NewPromotions(db, release.PromotionTransactions(db.Transact), …)
func PromotionTransactions[T PromotionTx](transact func(ctx context.Context, fn func(tx T) error) error) PromotionTxFunc {
	return func(ctx context.Context, fn func(tx PromotionTx) error) error {
		return transact(ctx, func(tx T) error { return fn(tx) })
	}
}

// PromotionDecider decides a promotion's release in its environment for a
// phase, with the promotion's approvals, and keeps the decision record (the
// record's RecordDigest is the id the promotion lists in DecisionIDs).
//
// The pre-deploy decision is made while the deploy lock of the lane is
// held, inside the claiming transaction: on SQLite a decider must then not
// write through another connection of the same database (it would wait for
// the writer that waits for it). TxOfDecision(ctx) is that transaction.
type PromotionDecider interface {
	Decide(ctx context.Context, p Promotion, rel *Release, env *Environment, phase gate.Phase, approvals []gate.Approval) (*gate.Decision, error)
}

// Deployer hands a promotion that entered deploying to whatever carries the
// deployment out (release.md §4). A nil error means the job succeeded.
//
// Deploy must be idempotent per p.DeploymentJobID: after a crash (or a
// lost reply) the service hands the same job, with the same id, again
// (Promotions.Recover), and a job already carried out must not be carried
// out twice. A second call with a job id the deployer knows reports that
// job's outcome (waiting for it while it still runs) instead of starting
// another.
type Deployer interface {
	Deploy(ctx context.Context, p Promotion, rel *Release, env *Environment) error
}

// Deployment is one deployment an InProcessDeployer was handed.
type Deployment struct {
	PromotionID, ReleaseID, EnvironmentID, Application, JobID string
}

// InProcessDeployer records the deployments it is handed and reports each
// one as succeeded. It stands in for deployment agents, in tests and in a
// server that has none yet. It is safe for concurrent use.
type InProcessDeployer struct {
	mu   sync.Mutex
	done []Deployment
}

// Deploy records the deployment and succeeds. A job id it was handed
// before is recorded once (the Deployer contract).
func (d *InProcessDeployer) Deploy(_ context.Context, p Promotion, rel *Release, env *Environment) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p.DeploymentJobID != "" && slices.ContainsFunc(d.done, func(x Deployment) bool { return x.JobID == p.DeploymentJobID }) {
		return nil
	}
	d.done = append(d.done, Deployment{PromotionID: p.ID, ReleaseID: rel.ID, EnvironmentID: env.ID,
		Application: p.Application, JobID: p.DeploymentJobID})
	return nil
}

// Deployments returns the deployments handed so far, in order.
func (d *InProcessDeployer) Deployments() []Deployment {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.done)
}

// Promotions runs promotions through the state machine of release.md §2:
// it fetches facts from the store, lets the pure model (NewPromotion,
// Apply, CanApprove, NextToDeploy, AutoPromotions) decide, and writes each
// transition with its audit entry in one transaction where the stored
// version is still the one read. Every call takes its tenant and actor from
// the context (tenant.WithScope). It is safe for concurrent use.
type Promotions struct {
	store    PromotionTx
	inTx     PromotionTxFunc
	decider  PromotionDecider
	deployer Deployer

	signer       attest.Signer
	now          func() time.Time
	newID        func() string
	onEvent      func(Event)
	onTransition func(PromotionEvent)
	onPacket     func(*evidence.Packet)
	generator    string
	log          *slog.Logger
	after        AfterFunc
	sched        schedule
}

// PromotionsOption configures Promotions.
type PromotionsOption func(*Promotions)

// PromotionsClock sets the time source.
func PromotionsClock(now func() time.Time) PromotionsOption {
	return func(s *Promotions) { s.now = now }
}

// PromotionsIDs sets the id source of promotions, approvals, audit
// entries, deployment jobs and packets; the default is UUIDv7.
func PromotionsIDs(newID func() string) PromotionsOption {
	return func(s *Promotions) { s.newID = newID }
}

// PromotionsSigner seals evidence packets with signer. Without one no
// packet is sealed.
func PromotionsSigner(signer attest.Signer) PromotionsOption {
	return func(s *Promotions) { s.signer = signer }
}

// PromotionsEvents calls fn with every event the state machine emits, in
// order, after the transaction that wrote it commits.
func PromotionsEvents(fn func(Event)) PromotionsOption {
	return func(s *Promotions) { s.onEvent = fn }
}

// PromotionsPackets calls fn with every evidence packet sealed, after the
// transaction that stored it (EvidenceStore) and recorded its id on the
// promotion commits.
func PromotionsPackets(fn func(*evidence.Packet)) PromotionsOption {
	return func(s *Promotions) { s.onPacket = fn }
}

// PromotionsGenerator names the SDK or server version in sealed packets
// (default "stella").
func PromotionsGenerator(v string) PromotionsOption {
	return func(s *Promotions) { s.generator = v }
}

// NewPromotions returns the promotion service over store, writing through
// inTx (PromotionTransactions(db.Transact) for a *store.DB).
func NewPromotions(store PromotionTx, inTx PromotionTxFunc, decider PromotionDecider, deployer Deployer, opts ...PromotionsOption) (*Promotions, error) {
	if store == nil || inTx == nil || decider == nil || deployer == nil {
		return nil, errors.New("release: NewPromotions needs a store, a transaction function, a decider and a deployer")
	}
	s := &Promotions{store: store, inTx: inTx, decider: decider, deployer: deployer,
		now: time.Now, newID: func() string { return uuid.Must(uuid.NewV7()).String() }, generator: "stella",
		log: slog.New(slog.DiscardHandler), after: timeAfterFunc}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func (s *Promotions) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// after is what a committed transaction publishes.
type after struct {
	events      []Event
	transitions []PromotionEvent
	packets     []*evidence.Packet
}

func (a *after) publish(s *Promotions) {
	for _, t := range a.transitions {
		if s.onTransition != nil {
			s.onTransition(t)
		}
	}
	for _, e := range a.events {
		if e.Type != "" && s.onEvent != nil {
			s.onEvent(e)
		}
	}
	for _, p := range a.packets {
		if s.onPacket != nil {
			s.onPacket(p)
		}
	}
}

func (s *Promotions) audit(ctx context.Context, tx AuditLog, sc tenant.Scope, action string, before, after *Promotion) error {
	id := after.ID
	e := &AuditEntry{ID: s.newID(), TenantID: sc.Tenant, Actor: sc.Actor, Action: action, EntityType: "promotion", EntityID: id, At: s.clock()}
	var err error
	if before != nil {
		if e.BeforeDigest, err = digestOrEmpty(before); err != nil {
			return err
		}
	}
	if e.AfterDigest, err = digestOrEmpty(after); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, e)
}

// Packets returns the evidence packets sealed for a promotion of the
// tenant, in the order sealed.
func (s *Promotions) Packets(ctx context.Context, id string) ([]evidence.Packet, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GetPromotion(ctx, sc.Tenant, id); err != nil {
		return nil, err
	}
	return s.store.Packets(ctx, sc.Tenant, id)
}

// Get returns a promotion of the tenant.
func (s *Promotions) Get(ctx context.Context, id string) (*Promotion, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.GetPromotion(ctx, sc.Tenant, id)
}

// Request validates req (RequestFacts, ValidateRequest), stores the
// promotion as requested, evaluates it and, when it is approved, deploys
// it if its lane is free. RequestedBy defaults to the actor of ctx. It
// returns the promotion as it stands after all that.
func (s *Promotions) Request(ctx context.Context, req PromotionRequest) (*Promotion, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if req.RequestedBy == "" {
		req.RequestedBy = sc.Actor
	}
	var p Promotion
	var pub after
	err = s.inTx(ctx, func(tx PromotionTx) error {
		f, err := tx.RequestFacts(ctx, sc.Tenant, req)
		if err != nil {
			return err
		}
		var ev Event
		if p, ev, err = NewPromotion(s.newID(), req, f, s.clock()); err != nil {
			return err
		}
		if err := tx.CreatePromotion(ctx, &p); err != nil {
			return err
		}
		pub.events = append(pub.events, ev)
		pub.transitions = append(pub.transitions, PromotionEvent{Promotion: p, Event: ev})
		return s.audit(ctx, tx, sc, "promotion.request", nil, &p)
	})
	if err != nil {
		return nil, err
	}
	pub.publish(s)
	n, err := s.Evaluate(ctx, p.ID)
	if err != nil {
		// The promotion is stored; it waits in requested (or where the
		// evaluation left it) for Evaluate or Recover.
		return nil, fmt.Errorf("promotion %s was requested but its evaluation failed; it stays stored and is evaluated again by evaluatePromotion or when the server restarts: %w", p.ID, err)
	}
	return n, nil
}

// Approve records the actor's approval of a pending promotion and
// evaluates it again.
func (s *Promotions) Approve(ctx context.Context, id string, by Approver, comment string) (*Promotion, error) {
	return s.answer(ctx, id, by, ActionApprove, comment)
}

// Reject records the actor's rejection of a pending promotion and
// evaluates it again (an eligible rejection denies).
func (s *Promotions) Reject(ctx context.Context, id string, by Approver, comment string) (*Promotion, error) {
	return s.answer(ctx, id, by, ActionReject, comment)
}

func (s *Promotions) answer(ctx context.Context, id string, by Approver, action ApprovalAction, comment string) (*Promotion, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if by.ID == "" {
		by.ID = sc.Actor
	}
	if by.ID != sc.Actor {
		return nil, invalid("approverId", "must be the acting user %q", sc.Actor)
	}
	err = s.inTx(ctx, func(tx PromotionTx) error {
		p, err := tx.GetPromotion(ctx, sc.Tenant, id)
		if err != nil {
			return err
		}
		env, err := tx.GetEnvironment(ctx, sc.Tenant, p.TargetEnvironmentID)
		if err != nil {
			return err
		}
		a, err := NewApproval(s.newID(), *p, by, action, comment, env.GateEnvironment(), s.clock())
		if err != nil {
			return err
		}
		if err := tx.AppendApproval(ctx, &a); err != nil {
			return err
		}
		e := &AuditEntry{ID: s.newID(), TenantID: sc.Tenant, Actor: sc.Actor, Action: "promotion." + string(action),
			EntityType: "approval", EntityID: a.ID, At: s.clock()}
		if e.AfterDigest, err = digestOrEmpty(&a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.Evaluate(ctx, id)
}

// Cancel cancels a promotion that has not started deploying.
func (s *Promotions) Cancel(ctx context.Context, id string) (*Promotion, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.store.GetPromotion(ctx, sc.Tenant, id)
	if err != nil {
		return nil, err
	}
	n, _, err := s.step(ctx, sc, *p, Transition{Trigger: TriggerCancel}, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// Evaluate runs the request-phase decision of a pending promotion again
// (on an approval, and on advisory or VEX changes) and moves it as the
// outcome says; an approved promotion then deploys if its lane is free. A
// promotion that is not pending is returned as it is.
//
// A concurrent writer that moved the promotion first (two approvals at
// once) is a lost race, not a failure: the promotion is read and
// evaluated again, a few times.
func (s *Promotions) Evaluate(ctx context.Context, id string) (*Promotion, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		p, err := s.evaluate(ctx, sc, id)
		if err == nil || !errors.Is(err, fault.ErrConflict) || attempt == evaluateAttempts {
			return p, err
		}
	}
}

// evaluateAttempts bounds Evaluate's retries after lost races.
const evaluateAttempts = 5

func (s *Promotions) evaluate(ctx context.Context, sc tenant.Scope, id string) (*Promotion, error) {
	pp, err := s.store.GetPromotion(ctx, sc.Tenant, id)
	if err != nil {
		return nil, err
	}
	p := *pp
	if p.Status == PromotionRequested {
		if p, _, err = s.step(ctx, sc, p, Transition{Trigger: TriggerEvaluationStarted}, nil, nil, nil); err != nil {
			return nil, err
		}
	}
	if p.Status.Pending() {
		rel, env, err := s.subject(ctx, s.store, sc, p)
		if err != nil {
			return nil, err
		}
		as, err := s.store.Approvals(ctx, sc.Tenant, p.ID)
		if err != nil {
			return nil, err
		}
		d, err := s.decider.Decide(ctx, p, rel, env, gate.PhaseRequest, GateApprovals(as, nil))
		if err != nil {
			return nil, err
		}
		nb := DecisionNotBefore(d)
		ts := requestTriggers(p.Status, d)
		for i, t := range ts {
			tr := Transition{Trigger: t, DecisionID: d.RecordDigest}
			if i == len(ts)-1 {
				tr.NotBefore = nb
			}
			if p, _, err = s.step(ctx, sc, p, tr, rel, env, d); err != nil {
				return nil, err
			}
		}
		if len(ts) == 0 {
			if p, err = s.wait(ctx, sc, p, d.RecordDigest, nb); err != nil {
				return nil, err
			}
		}
		s.wake(p.NotBefore)
	}
	if p.Status == PromotionApproved {
		if err := s.Deploy(ctx, p.TargetEnvironmentID, p.Application); err != nil {
			return nil, err
		}
		if pp, err = s.store.GetPromotion(ctx, sc.Tenant, id); err != nil {
			return nil, err
		}
		p = *pp
	}
	return &p, nil
}

// requestTriggers maps a request-phase decision to the triggers it fires
// from status st (release.md §2): deny rejects; a wait on approvals only
// moves pending_gate to pending_approval; allow moves on to approved. A wait
// on any other gate leaves the promotion where it is.
func requestTriggers(st PromotionStatus, d *gate.Decision) []Trigger {
	switch d.Decision {
	case gate.Deny:
		return []Trigger{TriggerDecisionDeny}
	case gate.Pending:
		if st == PromotionPendingGate && pendingOnApprovalsOnly(d) {
			return []Trigger{TriggerGatesPassedExceptApprovals}
		}
	case gate.Allow:
		if st == PromotionPendingGate {
			return []Trigger{TriggerGatesPassedExceptApprovals, TriggerApprovalsSatisfied}
		}
		return []Trigger{TriggerApprovalsSatisfied}
	}
	return nil
}

// pendingOnApprovalsOnly reports whether every gate the decision waits on
// is an approvals gate.
func pendingOnApprovalsOnly(d *gate.Decision) bool {
	types := map[string]string{}
	for _, g := range d.Gates {
		types[g.ID] = g.Type
	}
	for _, id := range d.PendingOn {
		if types[id] != "approvals" {
			return false
		}
	}
	return len(d.PendingOn) > 0
}

// subject reads the promotion's release and target environment.
func (s *Promotions) subject(ctx context.Context, st Store, sc tenant.Scope, p Promotion) (*Release, *Environment, error) {
	rel, err := st.GetRelease(ctx, sc.Tenant, p.ReleaseID)
	if err != nil {
		return nil, nil, err
	}
	env, err := st.GetEnvironment(ctx, sc.Tenant, p.TargetEnvironmentID)
	if err != nil {
		return nil, nil, err
	}
	return rel, env, nil
}

// step applies t to p, seals the packet its edge asks for, and writes the
// result with its audit entry in one transaction; events and packets are
// published after the commit.
func (s *Promotions) step(ctx context.Context, sc tenant.Scope, p Promotion, t Transition, rel *Release, env *Environment, d *gate.Decision) (Promotion, *Edge, error) {
	var n Promotion
	var pub after
	var edge Edge
	err := s.inTx(ctx, func(tx PromotionTx) error {
		var err error
		n, edge, err = s.transition(ctx, tx, sc, p, t, rel, env, d, nil, &pub)
		if err != nil {
			return err
		}
		return tx.UpdatePromotion(ctx, &n)
	})
	if err != nil {
		return p, nil, err
	}
	pub.publish(s)
	return n, &edge, nil
}

// transition computes p after t, with the packet its edge seals, and
// appends the audit entry to tx; the caller writes the promotion.
func (s *Promotions) transition(ctx context.Context, tx PromotionTx, sc tenant.Scope, p Promotion, t Transition, rel *Release, env *Environment,
	d *gate.Decision, how *evidence.How, pub *after) (Promotion, Edge, error) {
	edge, ok := p.Status.Next(t.Trigger)
	if ok && edge.Packet != "" && s.signer != nil {
		if rel == nil || env == nil {
			return p, edge, fmt.Errorf("promotion %s: %s seals a packet and needs the release and environment", p.ID, t.Trigger)
		}
		pkt, err := s.seal(ctx, tx, sc, p, edge, t, rel, env, d, how)
		if err != nil {
			return p, edge, err
		}
		if err := tx.AppendPacket(ctx, pkt); err != nil {
			return p, edge, err
		}
		t.EvidencePacketIDs = append(t.EvidencePacketIDs, pkt.ID)
		pub.packets = append(pub.packets, pkt)
	}
	n, ev, err := p.Apply(t, s.clock())
	if err != nil {
		return p, edge, err
	}
	pub.events = append(pub.events, ev)
	pub.transitions = append(pub.transitions, PromotionEvent{Promotion: n, From: p.Status, Trigger: t.Trigger, Event: ev})
	if err := s.audit(ctx, tx, sc, "promotion."+string(t.Trigger), &p, &n); err != nil {
		return p, edge, err
	}
	return n, edge, nil
}

// seal builds and signs the evidence packet of edge (release.md §6).
func (s *Promotions) seal(ctx context.Context, tx PromotionTx, sc tenant.Scope, p Promotion, edge Edge, t Transition, rel *Release, env *Environment,
	d *gate.Decision, how *evidence.How) (*evidence.Packet, error) {
	var c evidence.Content
	c.What.Release = evidence.Release{ID: rel.ID, Name: rel.Name, Digest: rel.Digest}
	for _, comp := range rel.Components {
		c.What.Release.Components = append(c.What.Release.Components, evidence.Component{Name: comp.Name, Repository: comp.Repository,
			Digest: comp.Digest, Semver: comp.Semver})
	}
	if r := rel.SourceRef; r != nil {
		c.What.Release.SourceRef = &evidence.SourceRef{SCM: r.SCM, Repository: r.Repository, Commit: r.Commit, Branch: r.Branch}
	}
	c.Where.Environment = evidence.Environment{ID: env.ID, Name: env.Name, Tier: string(env.Tier)}
	c.Who.Requester = evidence.Person{ID: p.RequestedBy}
	as, err := tx.Approvals(ctx, sc.Tenant, p.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		c.Who.Approvers = append(c.Who.Approvers, evidence.Approver{ID: a.ApproverID, Name: a.ApproverName, Action: string(a.Action),
			At: a.At, Comment: a.Comment})
	}
	if d != nil {
		if c.Why, err = evidence.WhyFrom(d); err != nil {
			return nil, err
		}
	} else {
		c.Why = evidence.Why{Decision: string(t.Trigger)}
	}
	at := s.clock()
	requested := p.RequestedAt
	c.When = evidence.When{RequestedAt: &requested, DecidedAt: p.DecidedAt, StartedAt: p.StartedAt}
	if edge.To == PromotionDeployed || edge.To == PromotionFailed {
		c.When.CompletedAt = &at
	}
	if edge.To == PromotionDeploying {
		c.When.StartedAt = &at
	}
	c.How = how
	return evidence.Seal(ctx, evidence.Draft{ID: s.newID(), TenantID: sc.Tenant, PromotionID: p.ID, Type: edge.Packet,
		Content: c, GeneratorVersion: s.generator, CreatedAt: at}, s.signer)
}

// Deploy runs the deploy step of one (environment, application) lane of
// the tenant: while the lane is free and a promotion waits in approved,
// it claims the next one (ClaimDeploy) with the pre-deploy decision made
// under the lock (allow → deploying, deny → rejected, pending →
// pending_gate), hands a deploying promotion to the Deployer and records
// the job's end (deployed, with the environment's current release set and
// the auto-promotions requested; or failed).
func (s *Promotions) Deploy(ctx context.Context, environmentID, application string) error {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	// The lane is drained for everyone queued in it, not only for the
	// caller: a caller that goes away (a client disconnecting from the
	// request that holds the lane) must not leave a promotion deploying or
	// the ones behind it stranded in approved.
	ctx = context.WithoutCancel(ctx)
	for {
		p, rel, env, d, err := s.claim(ctx, sc, environmentID, application)
		if err != nil || p == nil {
			return err
		}
		if p.Status != PromotionDeploying {
			s.wake(p.NotBefore)
			continue // rejected or waiting again: the next in line may go
		}
		if err := s.finish(ctx, sc, *p, rel, env, d); err != nil {
			return err
		}
	}
}

// claim takes the lane's next approved promotion, if any, through the
// pre-deploy decision in one transaction with its audit entry.
func (s *Promotions) claim(ctx context.Context, sc tenant.Scope, environmentID, application string) (*Promotion, *Release, *Environment, *gate.Decision, error) {
	var (
		claimed *Promotion
		rel     *Release
		env     *Environment
		d       *gate.Decision
		pub     after
	)
	err := s.inTx(ctx, func(tx PromotionTx) error {
		pub = after{}
		var err error
		claimed, err = tx.ClaimDeploy(ctx, sc.Tenant, environmentID, application, func(p Promotion) (Promotion, error) {
			if rel, env, err = s.subject(ctx, tx, sc, p); err != nil {
				return p, err
			}
			as, err := tx.Approvals(ctx, sc.Tenant, p.ID)
			if err != nil {
				return p, err
			}
			dctx := context.WithValue(ctx, promotionTxKey{}, tx)
			if d, err = s.decider.Decide(dctx, p, rel, env, gate.PhasePreDeploy, GateApprovals(as, nil)); err != nil {
				return p, err
			}
			t := Transition{Trigger: TriggerPreDeployPending, DecisionID: d.RecordDigest, NotBefore: DecisionNotBefore(d)}
			switch d.Decision {
			case gate.Allow:
				t.Trigger, t.DeploymentJobID, t.WorkflowRunID = TriggerPreDeployAllow, s.newID(), s.newID()
			case gate.Deny:
				t.Trigger = TriggerPreDeployDeny
			}
			// The audit entry is appended by transition; ClaimDeploy writes
			// the promotion in this same transaction.
			n, _, err := s.transition(ctx, tx, sc, p, t, rel, env, d, nil, &pub)
			return n, err
		})
		return err
	})
	if err != nil || claimed == nil {
		return nil, nil, nil, nil, err
	}
	pub.publish(s)
	return claimed, rel, env, d, nil
}

// finish hands a deploying promotion to the Deployer and records the end
// of its job.
func (s *Promotions) finish(ctx context.Context, sc tenant.Scope, p Promotion, rel *Release, env *Environment, d *gate.Decision) error {
	derr := s.deployer.Deploy(ctx, p, rel, env)
	how := &evidence.How{WorkflowRunID: p.WorkflowRunID, DeploymentJobID: p.DeploymentJobID, Strategy: "default-deploy",
		Outcome: evidence.OutcomeSucceeded}
	t := Transition{Trigger: TriggerJobSucceeded}
	if derr != nil {
		t = Transition{Trigger: TriggerJobFailed, Failure: &PromotionFailure{Code: "DEPLOYMENT_FAILED", Message: derr.Error()}}
		how.Outcome, how.Failure = evidence.OutcomeFailed, &evidence.Failure{Code: t.Failure.Code, Message: t.Failure.Message}
	}
	var n Promotion
	var pub after
	err := s.inTx(ctx, func(tx PromotionTx) error {
		pub = after{}
		var err error
		if n, _, err = s.transition(ctx, tx, sc, p, t, rel, env, d, how, &pub); err != nil {
			return err
		}
		if err := tx.UpdatePromotion(ctx, &n); err != nil {
			return err
		}
		if n.Status == PromotionDeployed {
			return tx.SetCurrentRelease(ctx, sc.Tenant, CurrentRelease{EnvironmentID: env.ID, Application: p.Application,
				ReleaseID: rel.ID, PromotionID: n.ID, DeployedAt: *n.CompletedAt})
		}
		return nil
	})
	if err != nil {
		return err
	}
	pub.publish(s)
	if n.Status == PromotionDeployed {
		return s.autoPromote(ctx, sc, n)
	}
	return nil
}

// autoPromote requests, as AutoPromoteActor, the promotions that follow a
// deployment (release.md §2 rule 5). A request its rules refuse is not an
// error of the deployment: it is skipped.
func (s *Promotions) autoPromote(ctx context.Context, sc tenant.Scope, deployed Promotion) error {
	var envs []Environment
	opts := ListOptions{First: MaxPageSize}
	for {
		page, err := s.store.ListEnvironments(ctx, sc.Tenant, opts)
		if err != nil {
			return err
		}
		envs = append(envs, page.Items...)
		if !page.HasNext {
			break
		}
		opts.After = page.EndCursor()
	}
	actx := tenant.WithScope(ctx, tenant.Scope{Tenant: sc.Tenant, Actor: AutoPromoteActor})
	for _, req := range AutoPromotions(deployed, envs) {
		if _, err := s.Request(actx, req); err != nil && !isRuleRefusal(err) {
			return err
		}
	}
	return nil
}

// isRuleRefusal reports whether err is a request the rules refuse rather
// than a failure of the store.
func isRuleRefusal(err error) bool {
	return errors.Is(err, fault.ErrPrecondition) || errors.Is(err, fault.ErrConflict) ||
		errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrValidation)
}

type promotionTxKey struct{}

// TxOfDecision is the transaction a PromotionDecider is called inside, nil
// when it is called outside one. The pre-deploy decision is made inside the
// claiming transaction: a decider that keeps its record writes it through
// this transaction (for a *store.DB it is a *store.Tx), so that it neither
// waits for the writer that waits for it (SQLite) nor outlives a claim that
// rolls back.
func TxOfDecision(ctx context.Context) PromotionTx {
	tx, _ := ctx.Value(promotionTxKey{}).(PromotionTx)
	return tx
}

// Approvals returns a promotion's approvals and rejections, in order.
func (s *Promotions) Approvals(ctx context.Context, id string) ([]Approval, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.Approvals(ctx, sc.Tenant, id)
}

// List returns a page of the tenant's promotions matching f.
func (s *Promotions) List(ctx context.Context, f PromotionFilter, opts ListOptions) (*Page[Promotion], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.ListPromotions(ctx, sc.Tenant, f, opts)
}
