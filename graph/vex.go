package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/tenant"
	"github.com/stella-ops/stella/vex"
)

// errNoVEX answers VEX queries on a server built without a VEX store.
var errNoVEX = errors.New("this server keeps no VEX documents")

// vexStore returns the VEX store and the caller's tenant.
func (r *Resolver) vexStore(ctx context.Context) (vex.Store, string, error) {
	if r.VEX == nil {
		return nil, "", errNoVEX
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, "", err
	}
	return r.VEX, sc.Tenant, nil
}

// cutoffOr is the consensus cut-off: the one asked for, else the resolver's
// clock (never the wall clock directly, so tests and replays can pin it).
func (r *Resolver) cutoffOr(cutoff *time.Time) time.Time {
	if cutoff != nil {
		return cutoff.UTC()
	}
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// importVEX reads a document, names its issuers from the tenant's registry
// and stores it with its statements in one transaction. Anything the
// readers refuse is VALIDATION on "document"; nothing is written then.
func (r *Resolver) importVEX(ctx context.Context, document string) (*model.ImportVexResult, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(document) == "" {
		return nil, fieldError("document", "is empty")
	}
	reg, err := s.Registry(ctx, tenant)
	if err != nil {
		return nil, err
	}
	// Signed documents are verified against the tenant's registered keys
	// and attributed to their issuers before anything is stored.
	doc, err := vex.ReadAny(ctx, []byte(document), reg)
	if err != nil {
		return nil, fieldError("document", "%s", strings.TrimPrefix(err.Error(), "vex: "))
	}
	if len(doc.Statements) == 0 {
		// Nothing to decide with: a document whose every entry was skipped
		// is a mistake to report, not evidence to keep.
		msg := "yields no VEX statements"
		if len(doc.Warnings) > 0 {
			msg += ": " + strings.Join(doc.Warnings, "; ")
		}
		return nil, fieldError("document", "%s", msg)
	}
	return r.storeVEX(ctx, tenant, doc, "vex.import")
}

// storeVEX appends a read document with its statements (append-only,
// idempotent by content hash) and audits an insertion as action.
func (r *Resolver) storeVEX(ctx context.Context, tenant string, doc *vex.Document, action string) (*model.ImportVexResult, error) {
	var res vex.AppendResult
	err := r.write(ctx, func(tx Tx) (*audit, error) {
		var err error
		if res, err = tx.AppendDocument(ctx, tenant, doc, r.cutoffOr(nil)); err != nil || !res.Inserted {
			return nil, err
		}
		return &audit{action: action, entityType: "vex_document", entityID: res.Document.ContentHash, after: map[string]any{
			"format": res.Document.Format, "statements": res.Document.Statements, "upstreamId": res.Document.UpstreamID,
		}}, nil
	})
	if err != nil {
		return nil, err
	}
	vexMemoFrom(ctx).reset() // later fields of the operation see the new statements
	if res.Inserted {
		r.promotionsChanged(ctx, action)
	}
	d := vexDocumentModel(res.Document)
	return &model.ImportVexResult{Digest: d.Digest, StatementCount: d.StatementCount, Inserted: res.Inserted, Document: &d}, nil
}

// registerVEXIssuer adds or replaces an issuer, appending a registry version.
func (r *Resolver) registerVEXIssuer(ctx context.Context, in model.VexIssuerInput) (*model.RegisterVexIssuerResult, error) {
	_, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	is := vex.Issuer{ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name), Class: vex.IssuerClass(in.Class),
		Scope: in.Scope, ProvenanceOverride: in.ProvenanceOverride, Replayability: in.Replayability,
		RequireSignatureForNotAffected: in.RequireSignatureForNotAffected != nil && *in.RequireSignatureForNotAffected}
	for _, k := range in.Keys {
		key := vex.IssuerKey{KeyID: deref(k.KeyID), Algorithm: deref(k.Algorithm), PublicKey: deref(k.PublicKey), Identity: deref(k.Identity)}
		if key.KeyID == "" && key.Identity == "" {
			return nil, fieldError("input.keys", "each key needs a keyId or an identity")
		}
		for dst, src := range map[*time.Time]*time.Time{&key.ValidFrom: k.ValidFrom, &key.ValidTo: k.ValidUntil, &key.RevokedAt: k.RevokedAt} {
			if src != nil {
				*dst = src.UTC()
			}
		}
		is.Keys = append(is.Keys, key)
	}
	if is.Name == "" {
		return nil, fieldError("input.name", "is required")
	}
	if _, err := vex.NewRegistry("", is); err != nil {
		return nil, fieldError("input", "%s", strings.TrimPrefix(err.Error(), "vex: "))
	}
	var v vex.RegistryVersion
	var reg *vex.Registry
	err = r.write(ctx, func(tx Tx) (*audit, error) {
		var err error
		if v, err = tx.SaveIssuer(ctx, tenant, is, r.cutoffOr(nil)); err != nil {
			return nil, err
		}
		if reg, err = tx.Registry(ctx, tenant); err != nil || !v.Changed {
			return nil, err
		}
		return &audit{action: "vex.issuer.register", entityType: "vex_issuer", entityID: is.ID, after: reg.Lookup(is.ID)}, nil
	})
	if err != nil {
		return nil, err
	}
	vexMemoFrom(ctx).reset() // later fields of the operation see the new registry
	if v.Changed {
		r.promotionsChanged(ctx, "vex.issuer.register") // trust in statements changed
	}
	saved := vexIssuerModel(reg.Lookup(is.ID))
	return &model.RegisterVexIssuerResult{Issuer: &saved, Registry: vexRegistryModel(reg), Changed: v.Changed}, nil
}

func (r *Resolver) vexDocuments(ctx context.Context, first *int, after *string) (*model.VexDocumentConnection, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	opts, err := listOptions(first, after)
	if err != nil {
		return nil, err
	}
	p, err := s.Documents(ctx, tenant, vex.PageOptions{First: opts.First, After: opts.After})
	if err != nil {
		return nil, err
	}
	c := &model.VexDocumentConnection{Edges: make([]model.VexDocumentEdge, 0, len(p.Items)),
		Nodes: make([]model.VexDocument, 0, len(p.Items)), PageInfo: &model.PageInfo{HasNextPage: p.HasNext}}
	for i, d := range p.Items {
		m := vexDocumentModel(d)
		c.Nodes = append(c.Nodes, m)
		c.Edges = append(c.Edges, model.VexDocumentEdge{Cursor: p.Cursors[i], Node: &c.Nodes[len(c.Nodes)-1]})
	}
	if n := len(p.Cursors); n > 0 {
		c.PageInfo.EndCursor = &p.Cursors[n-1]
	}
	return c, nil
}

func (r *Resolver) vexDocument(ctx context.Context, digest string) (*model.VexDocument, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.Document(ctx, tenant, strings.TrimSpace(digest))
	if err != nil {
		return nil, err
	}
	m := vexDocumentModel(*d)
	return &m, nil
}

func (r *Resolver) vexDocumentStatements(ctx context.Context, digest string) ([]model.VexStatement, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	stmts, err := s.Statements(ctx, tenant, vex.StatementFilter{Document: digest})
	if err != nil {
		return nil, err
	}
	out := make([]model.VexStatement, len(stmts))
	for i := range stmts {
		out[i] = vexStatementModel(stmts[i])
	}
	return out, nil
}

func (r *Resolver) vexRegistry(ctx context.Context) (*model.VexRegistry, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := s.Registry(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return vexRegistryModel(reg), nil
}

// aliasGroup is the vulnerability's alias group: the effective advisory's
// id and aliases when the advisories know it, else the id alone.
func (r *Resolver) aliasGroup(ctx context.Context, tenant, id string) ([]string, error) {
	id = vex.NormalizeVulnID(id)
	if r.Advisories == nil {
		return []string{id}, nil
	}
	eff, err := r.Advisories.Effective(ctx, tenant, id)
	switch {
	case errors.Is(err, advisory.ErrNotFound):
		return []string{id}, nil
	case err != nil:
		return nil, err
	}
	return append([]string{eff.ID}, eff.Aliases...), nil
}

// evaluateVEX computes the consensus for subj from the tenant's stored
// statements and current registry (read once per operation).
func (r *Resolver) evaluateVEX(ctx context.Context, s vex.Store, tenant string, subj vex.Subject, cutoff time.Time) (vex.Verdict, error) {
	stmts, err := s.Statements(ctx, tenant, vex.FilterFor(subj))
	if err != nil {
		return vex.Verdict{}, err
	}
	c, err := r.vexConsensusFor(ctx, s, tenant)
	if err != nil {
		return vex.Verdict{}, err
	}
	return c.Evaluate(ctx, subj, stmts, cutoff)
}

func (r *Resolver) vexConsensus(ctx context.Context, product *string, pkg, vulnerability string, cutoff *time.Time) (*model.VexConsensus, error) {
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	pkg = vex.NormalizeRef(pkg)
	if !strings.HasPrefix(pkg, "pkg:") || !strings.Contains(pkg, "/") {
		return nil, fieldError("package", "must be a package URL (pkg:type/namespace/name@version)")
	}
	if strings.TrimSpace(vulnerability) == "" {
		return nil, fieldError("vulnerability", "is required")
	}
	prod := vex.NormalizeRef(deref(product))
	group, err := r.aliasGroup(ctx, tenant, vulnerability)
	if err != nil {
		return nil, err
	}
	v, err := r.evaluateVEX(ctx, s, tenant, vex.Subject{Product: prod, Package: pkg, Vuln: group}, r.cutoffOr(cutoff))
	if err != nil {
		return nil, err
	}
	return vexConsensusModel(v), nil
}

// findingVEX is a finding's verdict: its purl inside the SBOM's image, its
// advisory group. Null when the server keeps no VEX.
func (r *Resolver) findingVEX(ctx context.Context, f *model.Finding, cutoff *time.Time) (*model.FindingVex, error) {
	if r.VEX == nil {
		return nil, nil
	}
	s, tenant, err := r.vexStore(ctx)
	if err != nil {
		return nil, err
	}
	subj := findingSubject(f)
	var v vex.Verdict
	if b := vexMemoFrom(ctx).batchFor(tenant, subj); b != nil {
		// The finding came in a list: its statements are read with the
		// list's, the verdict is evaluated here.
		stmts, err := b.statements(ctx, s, subj)
		if err != nil {
			return nil, err
		}
		c, err := r.vexConsensusFor(ctx, s, tenant)
		if err != nil {
			return nil, err
		}
		if v, err = c.Evaluate(ctx, subj, stmts, r.cutoffOr(cutoff)); err != nil {
			return nil, err
		}
	} else if v, err = r.evaluateVEX(ctx, s, tenant, subj, r.cutoffOr(cutoff)); err != nil {
		return nil, err
	}
	return &model.FindingVex{Status: string(v.Status), Justification: optional(string(v.Justification)), Suppressed: v.Suppressed(),
		Confidence: v.Confidence, Conflict: v.Conflict, ConsensusDigest: v.Digest, Consensus: vexConsensusModel(v)}, nil
}

func vexDocumentModel(d vex.StoredDocument) model.VexDocument {
	return model.VexDocument{Digest: d.ContentHash, Format: string(d.Format), Author: d.Author, UpstreamID: optional(d.UpstreamID),
		Revision: d.Revision, Supersedes: optional(d.Supersedes), Raw: string(d.Raw), Warnings: nonNil(d.Warnings),
		StatementCount: d.Statements, CreatedAt: d.CreatedAt.UTC()}
}

func vexStatementModel(s vex.Statement) model.VexStatement {
	return model.VexStatement{Digest: s.Digest, Issuer: s.Issuer, DocumentDigest: s.DocumentDigest, Format: string(s.Format),
		Vulnerability: s.Vulnerability, Aliases: nonNil(s.Aliases), Product: s.Product.Ref, Subcomponents: nonNil(s.Product.Subcomponents),
		Status: string(s.Status), Justification: optional(string(s.Justification)), SourceStatus: s.SourceStatus,
		SourceJustification: optional(s.SourceJustification), ImpactStatement: optional(s.ImpactStatement),
		ActionStatement: optional(s.ActionStatement), Timestamp: s.Timestamp.UTC(), Signed: s.Signature.Signed,
		Verified: s.Signature.Verified, Timestamped: s.Signature.Timestamped, KeyID: optional(s.Signature.KeyID),
		EvidenceRefs: nonNil(s.EvidenceRefs)}
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func vexIssuerModel(is vex.Issuer) model.VexIssuer {
	m := model.VexIssuer{ID: is.ID, Name: is.Name, Class: model.VexIssuerClass(is.Class), Keys: make([]model.VexIssuerKey, 0, len(is.Keys)),
		Scope: nonNil(is.Scope), ProvenanceOverride: is.ProvenanceOverride, Replayability: is.Replayability,
		RequireSignatureForNotAffected: is.RequireSignatureForNotAffected}
	for _, k := range is.Keys {
		m.Keys = append(m.Keys, model.VexIssuerKey{KeyID: optional(k.KeyID), Algorithm: optional(k.Algorithm), PublicKey: optional(k.PublicKey),
			Identity: optional(k.Identity), ValidFrom: optionalTime(k.ValidFrom), ValidUntil: optionalTime(k.ValidTo), RevokedAt: optionalTime(k.RevokedAt)})
	}
	return m
}

func vexRegistryModel(reg *vex.Registry) *model.VexRegistry {
	m := &model.VexRegistry{Version: reg.Version(), Digest: reg.Digest(), Issuers: []model.VexIssuer{}}
	for _, is := range reg.Issuers() {
		m.Issuers = append(m.Issuers, vexIssuerModel(is))
	}
	return m
}

func vexConsensusModel(v vex.Verdict) *model.VexConsensus {
	st := v.Settings
	m := &model.VexConsensus{Schema: v.Schema, Status: string(v.Status), Conflict: v.Conflict, Confidence: v.Confidence,
		Justification: optional(string(v.Justification)), Cutoff: v.Cutoff.UTC(), RegistryDigest: v.RegistryDigest,
		Inputs: nonNil(v.Inputs), Claims: make([]model.VexClaim, 0, len(v.Claims)), ConsensusDigest: v.Digest,
		Subject: &model.VexSubject{Product: optional(v.Subject.Product), Package: v.Subject.Package,
			Vulnerability: v.Subject.Vulnerability, Aliases: nonNil(v.Subject.Aliases)},
		Settings: &model.VexSettings{Weights: &model.VexWeights{Provenance: st.Weights.P, Coverage: st.Weights.C, Replayability: st.Weights.R},
			MinScore: st.MinScore, Delta: st.Delta, HalfLife: st.HalfLife, Floor: st.Floor, LatticeVersion: st.LatticeVersion}}
	for _, c := range v.Claims {
		m.Claims = append(m.Claims, model.VexClaim{Issuer: c.Issuer, Class: model.VexIssuerClass(c.Class), Format: string(c.Format),
			DocumentDigest: c.DocumentDigest, StatementDigest: c.StatementDigest, Status: string(c.Status),
			Justification: optional(string(c.Justification)), Timestamp: c.Timestamp.UTC(), Provenance: c.Provenance,
			Coverage: c.Coverage, Replayability: c.Replayability, BaseTrust: c.BaseTrust, Strength: c.Strength,
			Freshness: c.Freshness, Score: c.Score, InTopSet: c.InTopSet, Dropped: optional(string(c.Dropped)), Flags: nonNil(c.Flags)})
	}
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
