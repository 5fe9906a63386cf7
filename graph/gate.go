package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/tenant"
)

// GateStore keeps decision records and the inputs they name, per tenant.
type GateStore interface {
	record.Store
	// GateInputs is the tenant's content-addressed inputs store.
	GateInputs(tenant string) record.CAS
	// CurrentRelease is the id of the release of application deployed in
	// an environment, "" when none.
	CurrentRelease(ctx context.Context, tenant, envID, application string) (string, error)
}

// GateService is how the server decides: a prepared Decider (the gates
// every environment is evaluated with, policy bundles compiled once) and
// where records and their inputs go.
type GateService struct {
	Decider *decide.Decider
	Store   GateStore // nil: records can be evaluated but not stored or listed
}

// errNoGates answers gate queries on a server built without gates.
var errNoGates = errors.New("this server has no gate configuration")

// errNoRecords answers record queries on a server that keeps no records.
var errNoRecords = errors.New("this server keeps no decision records")

// gateRelease and gateEnvironment resolve the arguments of a decision,
// naming the argument when one is empty.
func (r *Resolver) gateRelease(ctx context.Context, key string) (*release.Release, error) {
	if strings.TrimSpace(key) == "" {
		return nil, fieldError("release", "is required")
	}
	return r.Catalog.Release(ctx, key)
}

func (r *Resolver) gateEnvironment(ctx context.Context, key string) (*release.Environment, error) {
	if strings.TrimSpace(key) == "" {
		return nil, fieldError("environment", "is required")
	}
	return r.Catalog.Environment(ctx, key)
}

// decide builds the Input of a release in an environment from the store
// and evaluates it as of cutoff (nil: the resolver's clock). With store
// set, the record and its inputs are stored; a stored decision is always
// made at the resolver's clock, never at a cut-off the caller picks, so
// it cannot be dated before a freeze window or a KEV grace expiry.
func (r *Resolver) decide(ctx context.Context, relKey, envKey string, phase *gate.Phase, cutoff *time.Time, store bool) (*model.GateDecision, error) {
	if store && cutoff != nil {
		return nil, fieldError("cutoff", "a stored decision uses the server's clock")
	}
	if r.Gates == nil || r.Gates.Decider == nil {
		return nil, errNoGates
	}
	if store && r.Gates.Store == nil {
		return nil, errNoRecords
	}
	rel, err := r.gateRelease(ctx, relKey)
	if err != nil {
		return nil, err
	}
	if rel.Status == release.StatusDraft || rel.Digest == "" {
		return nil, fieldError("release", "release %q is a draft: finalize it before evaluating it", rel.Name)
	}
	env, err := r.gateEnvironment(ctx, envKey)
	if err != nil {
		return nil, err
	}
	ph := gate.PhaseRequest
	if phase != nil {
		ph = *phase
	}
	req, err := r.decisionRequest(ctx, rel, env, ph, r.cutoffOr(cutoff))
	if err != nil {
		return nil, err
	}
	var opts []gate.DecideOption
	if store {
		opts = append(opts, gate.KeepInputs(r.Gates.Store.GateInputs(req.Tenant)))
	}
	rec, in, err := r.Gates.Decider.Decide(ctx, req, opts...)
	if err != nil {
		return nil, err
	}
	raw, err := rec.Canonical()
	if err != nil {
		return nil, err
	}
	if store {
		if err := r.write(ctx, func(tx Tx) (*audit, error) { return appendDecision(ctx, tx, req.Tenant, rec, raw) }); err != nil {
			return nil, err
		}
	}
	return &model.GateDecision{Rec: rec, Raw: raw, Input: in}, nil
}

// appendDecision stores a decision record through tx and returns its
// audit entry, nil when the record was already stored.
func appendDecision(ctx context.Context, tx record.Store, tenant string, rec *gate.Decision, raw []byte) (*audit, error) {
	inserted, err := tx.AppendDecision(ctx, tenant, rec, raw)
	if err != nil || !inserted {
		return nil, err
	}
	return &audit{action: "gate.decide", entityType: "gate_decision", entityID: rec.RecordDigest, after: map[string]any{
		"release": rec.Release.Name, "releaseDigest": rec.Release.Digest, "environment": rec.Environment.Name,
		"phase": rec.Phase, "decision": rec.Decision, "reasonCodes": rec.ReasonCodes,
	}}, nil
}

// decisionRequest asks about a stored release in a stored environment as
// of cutoff: every image with its stored SBOM, the tenant's advisory
// snapshot, VEX statements and issuers, exception log and the release
// of the application deployed there now, if any.
func (r *Resolver) decisionRequest(ctx context.Context, rel *release.Release, env *release.Environment, phase gate.Phase, cutoff time.Time) (decide.Request, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return decide.Request{}, err
	}
	req := decide.Request{Tenant: sc.Tenant, Phase: phase, Cutoff: cutoff, Environment: env.GateEnvironment(),
		Requester: gate.Requester{ID: sc.Actor}}
	if req.Release, err = release.ForDecision(ctx, rel, r.sbomOf); err != nil {
		return req, err
	}
	if r.Advisories != nil {
		view, err := r.effectiveView(ctx)
		if err != nil {
			return req, err
		}
		req.Advisories = view.advisories
	}
	if r.VEX != nil {
		t, err := r.tenantVEX(ctx, r.VEX, sc.Tenant)
		if err != nil {
			return req, err
		}
		if req.VEX, err = scan.NewVEX(t.registry, scan.StoredStatements(r.VEX, sc.Tenant)); err != nil {
			return req, err
		}
	}
	if r.Exceptions != nil {
		if req.Exceptions, req.Revocations, err = r.Exceptions.Exceptions(ctx, sc.Tenant); err != nil {
			return req, err
		}
	}
	if r.Gates.Store != nil && rel.Application != "" {
		id, err := r.Gates.Store.CurrentRelease(ctx, sc.Tenant, env.ID, rel.Application)
		if err != nil || id == "" {
			return req, err
		}
		base, err := r.Catalog.Release(ctx, id)
		if err != nil {
			return req, err
		}
		b, err := release.ForDecision(ctx, base, r.sbomOf)
		if err != nil {
			return req, err
		}
		req.Baseline = &b
	}
	return req, nil
}

// sbomOf is the tenant's stored SBOM of an image, nil when it has none.
func (r *Resolver) sbomOf(ctx context.Context, imageDigest string) ([]byte, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := r.SBOMs.SBOMByImage(ctx, sc.Tenant, imageDigest)
	switch {
	case errors.Is(err, sbom.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return rec.Document, nil
}

// decisionRecords lists stored records, narrowed by release and
// environment keys.
func (r *Resolver) decisionRecords(ctx context.Context, relKey, envKey *string, first *int, after *string) (*model.DecisionConnection, error) {
	if r.Gates == nil || r.Gates.Store == nil {
		return nil, errNoRecords
	}
	opts, err := listOptions(first, after)
	if err != nil {
		return nil, err
	}
	var f record.Filter
	if relKey != nil {
		rel, err := r.gateRelease(ctx, *relKey)
		if err != nil {
			return nil, err
		}
		f.ReleaseID = rel.ID
	}
	if envKey != nil {
		env, err := r.gateEnvironment(ctx, *envKey)
		if err != nil {
			return nil, err
		}
		f.Environment = env.ID
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	p, err := r.Gates.Store.Decisions(ctx, sc.Tenant, f, record.PageOptions{First: opts.First, After: opts.After})
	if err != nil {
		return nil, err
	}
	c := &model.DecisionConnection{Edges: make([]model.DecisionEdge, 0, len(p.Items)),
		Nodes: make([]model.GateDecision, 0, len(p.Items)), PageInfo: &model.PageInfo{HasNextPage: p.HasNext}}
	for _, it := range p.Items {
		c.Nodes = append(c.Nodes, model.GateDecision{Rec: it.Decision, Raw: it.Raw})
	}
	for i := range c.Nodes {
		c.Edges = append(c.Edges, model.DecisionEdge{Cursor: p.Cursors[i], Node: &c.Nodes[i]})
	}
	if n := len(p.Cursors); n > 0 {
		c.PageInfo.EndCursor = &p.Cursors[n-1]
	}
	return c, nil
}

func (r *Resolver) decisionRecord(ctx context.Context, digest string) (*model.GateDecision, error) {
	if r.Gates == nil || r.Gates.Store == nil {
		return nil, errNoRecords
	}
	digest = strings.TrimSpace(digest)
	if digest == "" {
		return nil, fieldError("digest", "is required")
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	sd, err := r.Gates.Store.Decision(ctx, sc.Tenant, digest)
	if err != nil {
		return nil, err
	}
	return &model.GateDecision{Rec: sd.Decision, Raw: sd.Raw}, nil
}

// decisionInput is the Input a record was decided on: the one in hand for
// a fresh decision, else the stored input document; nil when unavailable.
func (r *Resolver) decisionInput(ctx context.Context, d *model.GateDecision) *gate.Input {
	if d.Input != nil || r.Gates == nil || r.Gates.Store == nil {
		return d.Input
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil
	}
	raw, err := r.Gates.Store.GateInputs(sc.Tenant).Get(ctx, d.Rec.Inputs.InputDocumentDigest)
	if err != nil {
		return nil
	}
	in, err := gate.UnmarshalReplayInput(raw)
	if err != nil {
		return nil
	}
	return in
}

// explain lists, for every gate that did not pass, the findings its details
// name (any object carrying advisoryId, component and purl), as the input
// document holds them.
func (r *Resolver) explain(ctx context.Context, d *model.GateDecision) ([]model.GateExplanation, error) {
	out := []model.GateExplanation{}
	for _, e := range record.Explain(d.Rec, r.decisionInput(ctx, d)) {
		g := e.Gate
		m := model.GateExplanation{Gate: g.ID, Type: g.Type, Status: g.Status, ReasonCodes: nonNil(g.ReasonCodes),
			Message: g.Message, Findings: make([]model.ExplainedFinding, len(e.Findings))}
		for i := range e.Findings {
			m.Findings[i] = explainedFinding(&e.Findings[i])
		}
		out = append(out, m)
	}
	return out, nil
}

func explainedFinding(f *gate.Finding) model.ExplainedFinding {
	m := model.ExplainedFinding{ID: f.ID, AdvisoryID: f.AdvisoryID, Aliases: nonNil(f.Aliases), Component: f.Component.Name,
		Purl: f.Component.Purl, Severity: string(f.Severity), Cvss: f.CVSS, FixState: f.FixState, Kev: f.KEV != nil, Active: f.Active}
	if k := f.KEV; k != nil {
		m.KevDateAdded, m.KevDueDate = optional(k.DateAdded), optional(k.DueDate)
	}
	if e := f.EPSS; e != nil {
		m.EpssScore, m.EpssPercentile = &e.Score, &e.Percentile
	}
	if v := f.VEX; v != nil {
		m.VexStatus, m.VexConfidence, m.VexConflict, m.VexConsensusDigest = &v.Status, &v.Confidence, &v.Conflict, optional(v.ConsensusDigest)
	}
	if x := f.Exception; x != nil {
		m.Exception = &x.ID
	}
	return m
}

// gateDetails is a gate's details as canonical JSON, null when empty.
func gateDetails(g *gate.GateRecord) (*string, error) {
	if len(g.Details) == 0 {
		return nil, nil
	}
	b, err := canon.Marshal(g.Details)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
