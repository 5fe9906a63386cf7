package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/tenant"
)

// PromotionDecider is the server's release.PromotionDecider: it builds the
// request as gate queries do (decisionRequest), with the promotion's
// requester, id and approvals, decides with the prepared Decider at the
// resolver's clock and keeps the record, its inputs and its audit entry.
//
// Outside a transaction the record is written in one of its own. Inside the
// claiming transaction of a pre-deploy decision (release.TxOfDecision) the
// record, its inputs and its audit entry are written through that
// transaction, when it is one the store can write them through
// (PromotionRecordTx, as a *store.Tx is); a decision made in a transaction
// it cannot write through is an error rather than a write on another
// connection, which on SQLite would wait for the claim that waits for it.
// The inputs are still read through the Resolver's stores (the pool): on a
// SQLite database with a single connection (":memory:") a pre-deploy
// decision would wait for itself, so use a file database.
type PromotionDecider struct{ R *Resolver }

// PromotionRecordTx is a promotion transaction that can keep decision
// records and their inputs.
type PromotionRecordTx interface {
	release.PromotionTx
	record.Store
	GateInputs(tenant string) record.CAS
}

var errPromotionTx = errors.New("graph: a pre-deploy decision's transaction cannot keep decision records")

// Decide implements release.PromotionDecider.
func (d PromotionDecider) Decide(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment, phase gate.Phase, approvals []gate.Approval) (*gate.Decision, error) {
	r := d.R
	if r.Gates == nil || r.Gates.Decider == nil {
		return nil, errNoGates
	}
	if r.Gates.Store == nil {
		return nil, errNoRecords
	}
	req, err := r.decisionRequest(ctx, rel, env, phase, r.cutoffOr(nil))
	if err != nil {
		return nil, err
	}
	req.PromotionID, req.Approvals = p.ID, approvals
	req.Requester = gate.Requester{ID: p.RequestedBy}
	cas := r.Gates.Store.GateInputs(req.Tenant)
	var inTx PromotionRecordTx
	if tx := release.TxOfDecision(ctx); tx != nil {
		var ok bool
		if inTx, ok = tx.(PromotionRecordTx); !ok {
			return nil, errPromotionTx
		}
		cas = inTx.GateInputs(req.Tenant)
	}
	rec, _, err := r.Gates.Decider.Decide(ctx, req, gate.KeepInputs(cas))
	if err != nil {
		return nil, err
	}
	raw, err := rec.Canonical()
	if err != nil {
		return nil, err
	}
	if inTx != nil {
		a, err := appendDecision(ctx, inTx, req.Tenant, rec, raw)
		if err != nil || a == nil {
			return rec, err
		}
		if r.Catalog == nil {
			return nil, errNoTx
		}
		return rec, r.Catalog.RecordAudit(ctx, inTx, a.action, a.entityType, a.entityID, a.before, a.after)
	}
	return rec, r.write(ctx, func(tx Tx) (*audit, error) { return appendDecision(ctx, tx, req.Tenant, rec, raw) })
}

// errNoPromotions answers promotion queries on a server without the
// promotion service: PRECONDITION PROMOTIONS_UNAVAILABLE.
var errNoPromotions = &fault.PreconditionError{Kind: "server", Key: "promotions", Code: "PROMOTIONS_UNAVAILABLE",
	Reason: "this server does not run promotions (a :memory: database, or none configured)"}

func (r *Resolver) promotions() (*release.Promotions, error) {
	if r.Promotions == nil {
		return nil, errNoPromotions
	}
	return r.Promotions, nil
}

// approver is the acting user as an approver. API tokens carry no groups
// yet: until they do, a token counts as a member of the one group named
// after its role ("approver", "admin"), so an environment lists those
// names in approverGroups to let approver (or admin) tokens approve.
func (r *Resolver) approver(ctx context.Context) release.Approver {
	sc, _ := tenant.ScopeFrom(ctx)
	a := release.Approver{ID: sc.Actor, Name: sc.Actor}
	if p, ok := PrincipalFrom(ctx); ok {
		a.Groups = []string{string(p.Role)}
	}
	return a
}

func (r *Resolver) requestPromotion(ctx context.Context, relKey, envKey, reason string) (*release.Promotion, error) {
	svc, err := r.promotions()
	if err != nil {
		return nil, err
	}
	rel, err := r.gateRelease(ctx, relKey)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(envKey) == "" {
		return nil, fieldError("environment", "is required")
	}
	return svc.Request(ctx, release.PromotionRequest{ReleaseID: rel.ID, Target: envKey, Reason: reason})
}

func (r *Resolver) listPromotions(ctx context.Context, filter *model.PromotionFilter, first *int, after *string) (*model.PromotionConnection, error) {
	svc, err := r.promotions()
	if err != nil {
		return nil, err
	}
	opts, err := listOptions(first, after)
	if err != nil {
		return nil, err
	}
	var f release.PromotionFilter
	if filter != nil {
		if filter.Release != nil {
			rel, err := r.gateRelease(ctx, *filter.Release)
			if err != nil {
				return nil, err
			}
			f.ReleaseID = rel.ID
		}
		if filter.Environment != nil {
			env, err := r.gateEnvironment(ctx, *filter.Environment)
			if err != nil {
				return nil, err
			}
			f.TargetEnvironmentID = env.ID
		}
		if filter.Status != nil {
			f.Status = *filter.Status
		}
	}
	p, err := svc.List(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	return promotionConnection(p), nil
}

func promotionConnection(p *release.Page[release.Promotion]) *model.PromotionConnection {
	return &model.PromotionConnection{
		Edges: edges(p, func(c string, n *release.Promotion) model.PromotionEdge {
			return model.PromotionEdge{Cursor: c, Node: n}
		}),
		Nodes:    p.Items,
		PageInfo: pageInfo(p),
	}
}
