package graph

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/vex"
)

// A list of findings asks for one verdict per finding. Without help each
// Finding.vex field would read its statements and the issuer registry: two
// queries per finding. The request's vexMemo (put in the context by
// NewHandler, one per operation) loads the tenant's registry once, and the
// resolvers that produce findings register them as a vexBatch: the first
// Finding.vex of the list reads the statements of every finding of the
// list in one query, and each finding is then evaluated in memory, over
// exactly the statements its own query would have returned, so the verdict
// (and its consensus digest) is the per-finding one. A finding of no batch,
// or a request without a memo, takes the per-finding path.

type vexMemoKey struct{}

// vexMemo is one operation's VEX state: a consensus over the registry of
// each tenant, and the batch each registered finding subject belongs to.
// It is safe for concurrent use (gqlgen resolves list elements in
// parallel).
type vexMemo struct {
	mu      sync.Mutex
	tenants map[string]tenantVEX // tenant → its registry and consensus
	batches map[string]*vexBatch // vexSubjectKey → batch
}

// withVEXMemo gives every operation its own vexMemo (an AroundOperations
// hook).
func withVEXMemo(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, vexMemoKey{}, &vexMemo{}))
}

// vexMemoFrom returns the operation's memo, or nil outside an operation.
func vexMemoFrom(ctx context.Context) *vexMemo {
	m, _ := ctx.Value(vexMemoKey{}).(*vexMemo)
	return m
}

// reset forgets everything: a mutation changed the registry or the
// statements, so later fields of the operation must read them again.
func (m *vexMemo) reset() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tenants, m.batches = nil, nil
}

// tenantVEX is a tenant's current issuer registry and a consensus over it.
type tenantVEX struct {
	registry  *vex.Registry
	consensus *vex.Consensus
}

// vexConsensusFor returns a consensus over the tenant's current registry:
// loaded once per operation when there is a memo, else on every call.
func (r *Resolver) vexConsensusFor(ctx context.Context, s vex.Store, tenant string) (*vex.Consensus, error) {
	t, err := r.tenantVEX(ctx, s, tenant)
	if err != nil {
		return nil, err
	}
	return t.consensus, nil
}

// tenantVEX reads the tenant's registry and builds its consensus, once per
// operation when there is a memo.
func (r *Resolver) tenantVEX(ctx context.Context, s vex.Store, tenant string) (tenantVEX, error) {
	m := vexMemoFrom(ctx)
	if m == nil {
		return loadTenantVEX(ctx, s, tenant)
	}
	m.mu.Lock()
	defer m.mu.Unlock() // held while loading: concurrent fields wait for the one load
	if t, ok := m.tenants[tenant]; ok {
		return t, nil
	}
	t, err := loadTenantVEX(ctx, s, tenant)
	if err != nil {
		return tenantVEX{}, err
	}
	if m.tenants == nil {
		m.tenants = map[string]tenantVEX{}
	}
	m.tenants[tenant] = t
	return t, nil
}

func loadTenantVEX(ctx context.Context, s vex.Store, tenant string) (tenantVEX, error) {
	reg, err := s.Registry(ctx, tenant)
	if err != nil {
		return tenantVEX{}, err
	}
	c, err := vex.NewConsensus(reg)
	if err != nil {
		return tenantVEX{}, err
	}
	return tenantVEX{registry: reg, consensus: c}, nil
}

// findingSubject is the consensus subject of a Finding.vex field.
func findingSubject(f *model.Finding) vex.Subject {
	return vex.SubjectFor(advisory.Finding{AdvisoryID: f.AdvisoryID, Aliases: f.Aliases, Package: f.Purl}, f.ImageDigest)
}

// vexSubjectKey identifies a subject of a tenant: equal keys, equal
// statement filters and equal verdicts.
func vexSubjectKey(tenant string, subj vex.Subject) string {
	return strings.Join(append([]string{tenant, subj.Product, subj.Package, subj.CPE}, subj.Vuln...), "\x00")
}

// prefetchVEX registers findings, a list a resolver is about to return, as
// one batch of the operation's memo. Nothing is read until a Finding.vex
// field of the list is resolved.
func (r *Resolver) prefetchVEX(ctx context.Context, findings []model.Finding) {
	m := vexMemoFrom(ctx)
	if m == nil || r.VEX == nil || len(findings) == 0 {
		return
	}
	_, tenant, err := r.vexStore(ctx)
	if err != nil {
		return
	}
	subjects := make([]vex.Subject, len(findings))
	for i := range findings {
		subjects[i] = findingSubject(&findings[i])
	}
	b := newVEXBatch(tenant, subjects)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.batches == nil {
		m.batches = map[string]*vexBatch{}
	}
	for _, subj := range subjects {
		k := vexSubjectKey(tenant, subj)
		if _, ok := m.batches[k]; !ok { // any batch holding the subject gives the same statements
			m.batches[k] = b
		}
	}
}

// batchFor returns the batch subj was registered in, or nil.
func (m *vexMemo) batchFor(tenant string, subj vex.Subject) *vexBatch {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.batches[vexSubjectKey(tenant, subj)]
}

// vexBatch is the statements of a list of subjects, read in one query.
type vexBatch struct {
	tenant   string
	subjects []vex.Subject

	mu     sync.Mutex
	loaded bool
	err    error
	stmts  []vex.Statement  // as the store returned them: sorted by digest
	byVuln map[string][]int // vex.VulnerabilityKeys → positions in stmts
	prods  [][]string       // per position: vex.ProductKeys
}

func newVEXBatch(tenant string, subjects []vex.Subject) *vexBatch {
	return &vexBatch{tenant: tenant, subjects: subjects}
}

// load reads the statements of every subject of the batch, once.
func (b *vexBatch) load(ctx context.Context, s vex.Store) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.loaded {
		return b.err
	}
	b.loaded = true
	stmts, err := s.Statements(ctx, b.tenant, vex.FilterFor(b.subjects...))
	if err != nil {
		b.err = err
		return err
	}
	b.stmts = stmts
	b.byVuln = make(map[string][]int, len(stmts))
	b.prods = make([][]string, len(stmts))
	for i := range stmts {
		// The keys the store indexed the statement under when it was
		// appended (store/vex.go AppendDocument).
		for _, k := range vex.VulnerabilityKeys(stmts[i]) {
			b.byVuln[k] = append(b.byVuln[k], i)
		}
		b.prods[i] = vex.ProductKeys(stmts[i])
	}
	return nil
}

// statements returns, in the store's order, the statements the store would
// return for vex.FilterFor(subj): it applies the filter as store.Statements
// does (ids through vex.NormalizeVulnID, references through vex.ProductKey,
// a list with no usable entry selecting nothing) to the batch, which holds
// a superset of them.
func (b *vexBatch) statements(ctx context.Context, s vex.Store, subj vex.Subject) ([]vex.Statement, error) {
	if err := b.load(ctx, s); err != nil {
		return nil, err
	}
	f := vex.FilterFor(subj)
	var pos []int
	if len(f.Vulnerabilities) > 0 {
		for _, v := range f.Vulnerabilities {
			if v = vex.NormalizeVulnID(v); v != "" {
				pos = append(pos, b.byVuln[v]...)
			}
		}
		slices.Sort(pos)
		pos = slices.Compact(pos)
	} else {
		pos = make([]int, len(b.stmts))
		for i := range pos {
			pos[i] = i
		}
	}
	if len(f.Products) > 0 {
		keys := map[string]bool{}
		for _, p := range f.Products {
			if k := vex.ProductKey(p); k != "" {
				keys[k] = true
			}
		}
		pos = slices.DeleteFunc(pos, func(i int) bool {
			return !slices.ContainsFunc(b.prods[i], func(k string) bool { return keys[k] })
		})
	}
	out := make([]vex.Statement, len(pos))
	for i, p := range pos {
		out[i] = b.stmts[p]
	}
	return out, nil
}
