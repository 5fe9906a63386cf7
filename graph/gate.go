package graph

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/vex"
)

// GateStore keeps decision records and the inputs they name, per tenant.
type GateStore interface {
	gate.RecordStore
	// GateInputs is the tenant's content-addressed inputs store; ctx bounds
	// every call made through it.
	GateInputs(ctx context.Context, tenant string) gate.CAS
	// CurrentRelease is the id of the release of application deployed in
	// an environment, "" when none.
	CurrentRelease(ctx context.Context, tenant, envID, application string) (string, error)
}

// GateService is the server's gate configuration: the gates every
// environment is evaluated with (per-environment settings merged by the
// engine), the policy bundles policy gates name, and where records go.
type GateService struct {
	Config   gate.Config
	Policies []*policy.Bundle
	Store    GateStore // nil: records can be evaluated but not stored or listed

	once   sync.Once
	dryRun *gate.Engine
	err    error
}

// errNoGates answers gate queries on a server built without gates.
var errNoGates = errors.New("this server has no gate configuration")

// errNoRecords answers record queries on a server that keeps no records.
var errNoRecords = errors.New("this server keeps no decision records")

func (g *GateService) options() []gate.Option {
	return []gate.Option{gate.WithConfig(g.Config), gate.WithPolicies(g.Policies...)}
}

// engine returns the engine for dry runs (prepared once), or, with a store,
// a fresh engine that writes every input it names into that store.
func (g *GateService) engine(cas gate.CAS) (*gate.Engine, error) {
	if cas != nil {
		return gate.NewEngine(append(g.options(), gate.WithStore(cas))...)
	}
	g.once.Do(func() { g.dryRun, g.err = gate.NewEngine(g.options()...) })
	return g.dryRun, g.err
}

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
	if r.Gates == nil {
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
	in, meta, err := r.gateInput(ctx, rel, env, ph, r.cutoffOr(cutoff))
	if err != nil {
		return nil, err
	}
	var cas gate.CAS
	if store {
		cas = r.Gates.Store.GateInputs(ctx, meta.Tenant)
	}
	eng, err := r.Gates.engine(cas)
	if err != nil {
		return nil, err
	}
	rec, err := eng.Decide(ctx, in, meta)
	if err != nil {
		return nil, err
	}
	raw, err := rec.Canonical()
	if err != nil {
		return nil, err
	}
	if store {
		inserted, err := r.Gates.Store.AppendDecision(ctx, meta.Tenant, rec, raw)
		if err != nil {
			return nil, err
		}
		if inserted && r.Catalog != nil {
			if err := r.Catalog.RecordAudit(ctx, "gate.decide", "gate_decision", rec.RecordDigest, nil, map[string]any{
				"release": rec.Release.Name, "releaseDigest": rec.Release.Digest, "environment": rec.Environment.Name,
				"phase": rec.Phase, "decision": rec.Decision, "reasonCodes": rec.ReasonCodes,
			}); err != nil {
				return nil, err
			}
		}
	}
	return &model.GateDecision{Rec: rec, Raw: raw, Input: in}, nil
}

// gateInput is the Input of a release in an environment as of cutoff:
// components, stored SBOMs, findings with VEX verdicts, environment
// settings, the tenant's exceptions and the deployed baseline; no
// approvals (promotions are not built yet).
func (r *Resolver) gateInput(ctx context.Context, rel *release.Release, env *release.Environment, phase gate.Phase, cutoff time.Time) (*gate.Input, gate.DecideMeta, error) {
	sc, _ := release.ScopeFrom(ctx)
	meta := gate.DecideMeta{Tenant: sc.Tenant}
	in := &gate.Input{
		Schema: gate.InputSchema, Phase: phase, ClockCutoff: cutoff,
		Release:           gate.Release{ID: rel.ID, Name: rel.Name, Digest: rel.Digest},
		Environment:       gateEnvironment(env),
		TargetEnvironment: env.Name,
		Requester:         gate.Requester{ID: sc.Actor},
	}
	for _, c := range rel.Components {
		in.Release.Components = append(in.Release.Components, gate.Component{Name: c.Name, Image: c.Ref(), Role: c.Role, Tag: c.Tag})
	}
	var view *effectiveView
	if r.Advisories != nil {
		var err error
		if view, err = r.effectiveView(ctx); err != nil {
			return nil, meta, err
		}
		meta.Inputs.AdvisorySnapshotID = view.snapshot.ID
		in.EPSSSnapshot = epssSnapshot(view)
	}
	if r.VEX != nil {
		t, err := r.tenantVEX(ctx, r.VEX, sc.Tenant)
		if err != nil {
			return nil, meta, err
		}
		meta.Inputs.IssuerRegistryDigest = t.registry.Digest()
	}
	// The exception log as known at the cut-off: the findings are built
	// against it and the record names it by exceptionsDigest.
	var err error
	if meta.Exceptions, meta.Revocations, err = r.exceptionLog(ctx, sc.Tenant, cutoff); err != nil {
		return nil, meta, err
	}
	findings, sboms, withoutSBOM, err := r.gateFindings(ctx, rel, view, env.Name, cutoff, meta)
	if err != nil {
		return nil, meta, err
	}
	in.Findings, in.SBOM, in.ImagesWithoutSBOM = findings, sboms, withoutSBOM

	if r.Gates.Store != nil && rel.Application != "" {
		id, err := r.Gates.Store.CurrentRelease(ctx, sc.Tenant, env.ID, rel.Application)
		if err != nil {
			return nil, meta, err
		}
		if id != "" {
			base, err := r.Catalog.Release(ctx, id)
			if err != nil {
				return nil, meta, err
			}
			bf, _, _, err := r.gateFindings(ctx, base, view, env.Name, cutoff, meta)
			if err != nil {
				return nil, meta, err
			}
			in.Baseline = &gate.Baseline{ReleaseDigest: base.Digest, Findings: bf}
		}
	}
	return in, meta, nil
}

func gateEnvironment(env *release.Environment) gate.Environment {
	out := gate.Environment{ID: env.ID, Name: env.Name, Tier: string(env.Tier), OrderIndex: env.OrderIndex,
		RequiredApprovals: env.RequiredApprovals, ApproverGroups: slices.Clone(env.ApproverGroups),
		RequireSeparationOfDuties: env.RequireSeparationOfDuties}
	for _, w := range env.FreezeWindows {
		name := w.Reason
		if name == "" {
			name = w.ID
		}
		out.FreezeWindows = append(out.FreezeWindows, gate.FreezeWindow{Name: name, Start: w.Start.UTC(), End: w.End.UTC(),
			Exceptions: slices.Clone(w.Exceptions)})
	}
	return out
}

// gateFindings matches every stored SBOM of a release (each once) against
// the effective view and gives every finding, per component, its VEX
// verdict as of cutoff: unknown when no statement speaks about it, so every
// finding names a consensus digest; the winning exception of meta's log is
// applied. It also summarizes the SBOMs and names the images that have
// none, which the engine denies as input.sbom-missing.
func (r *Resolver) gateFindings(ctx context.Context, rel *release.Release, view *effectiveView, envName string, cutoff time.Time, meta gate.DecideMeta) ([]gate.Finding, gate.SBOMSummary, []string, error) {
	sum := gate.SBOMSummary{Digests: []string{}, ByType: map[string]int{}}
	var withoutSBOM []string
	items, err := r.releaseSBOMs(ctx, rel)
	if err != nil {
		return nil, sum, nil, err
	}
	sc, _ := release.ScopeFrom(ctx)
	bySBOM := map[string][]model.Finding{}
	var srcs []gate.FindingSource
	var subjects []vex.Subject // one per source
	for _, it := range items {
		if it.Sbom == nil {
			for _, c := range rel.Components {
				if c.Name == it.Component {
					withoutSBOM = append(withoutSBOM, c.Ref())
				}
			}
			continue
		}
		fs, seen := bySBOM[it.Sbom.ContentDigest]
		if !seen {
			sum.Digests = append(sum.Digests, it.Sbom.ContentDigest)
			sum.ComponentCount += len(it.Sbom.Packages)
			for _, p := range it.Sbom.Packages {
				sum.ByType[p.Type]++
			}
			if view != nil {
				if fs, err = view.findings(ctx, it.Sbom); err != nil {
					return nil, sum, nil, err
				}
			}
			bySBOM[it.Sbom.ContentDigest] = fs
		}
		for _, f := range fs {
			af := advisoryFinding(f)
			srcs = append(srcs, gate.FindingSource{Finding: af, Component: it.Component})
			subjects = append(subjects, vex.SubjectFor(af, it.ImageDigest))
		}
	}
	if r.VEX != nil {
		// Every finding's statements in one query, evaluated in memory.
		vs, err := r.evaluateVEXBatch(ctx, r.VEX, sc.Tenant, subjects, cutoff)
		if err != nil {
			return nil, sum, nil, err
		}
		for i := range srcs {
			srcs[i].VEX = &vs[i]
		}
	}
	findings, err := gate.BuildFindings(srcs, gate.FindingScope{Cutoff: cutoff, ReleaseName: rel.Name, Environment: envName,
		Exceptions: meta.Exceptions, Revocations: meta.Revocations})
	return findings, sum, withoutSBOM, err
}

// advisoryFinding turns a matched finding back into the advisory package's
// shape, with the effective severity's score.
func advisoryFinding(f model.Finding) advisory.Finding {
	af := advisory.Finding{Package: f.Purl, InstalledVersion: f.InstalledVersion, AdvisoryID: f.AdvisoryID,
		Aliases: f.Aliases, FixedVersions: f.FixedVersions, KEV: f.Kev, EPSS: f.Epss}
	if f.PackageKey != nil {
		af.PackageKey = *f.PackageKey
	}
	if f.Evidence != nil {
		af.Evidence = *f.Evidence
	}
	if s := f.Severity; s != nil && s.Score != nil {
		af.Severity = &advisory.Severity{BaseScore: s.Score}
		if s.Type != nil {
			af.Severity.Type = advisory.SeverityType(*s.Type)
		}
		if s.Vector != nil {
			af.Severity.Score = *s.Vector
		}
	}
	return af
}

// epssSnapshot names the EPSS data the effective advisories carry: their
// distinct model versions and score dates, sorted; "" when none has EPSS.
func epssSnapshot(v *effectiveView) string {
	var ids []string
	for _, e := range v.byID {
		if e.EPSS != nil {
			ids = append(ids, e.EPSS.ModelVersion+"@"+e.EPSS.ScoreDate)
		}
	}
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
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
	var f gate.DecisionFilter
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
	sc, _ := release.ScopeFrom(ctx)
	p, err := r.Gates.Store.Decisions(ctx, sc.Tenant, f, gate.PageOptions{First: opts.First, After: opts.After})
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
	sc, _ := release.ScopeFrom(ctx)
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
	sc, _ := release.ScopeFrom(ctx)
	raw, err := r.Gates.Store.GateInputs(ctx, sc.Tenant).Get(d.Rec.Inputs.InputDocumentDigest)
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
	for _, e := range gate.Explain(d.Rec, r.decisionInput(ctx, d)) {
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
		Purl: f.Component.Purl, Severity: f.Severity, Cvss: f.CVSS, FixState: f.FixState, Kev: f.KEV != nil, Active: f.Active}
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
