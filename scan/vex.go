package scan

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/vex"
)

// StatementSource gives the VEX statements that may speak about any of
// the subjects; more is allowed (the consensus picks what applies), fewer
// is not.
type StatementSource interface {
	Statements(ctx context.Context, subjects []vex.Subject) ([]vex.Statement, error)
}

// Statements is an in-memory source: every statement, for every subject.
type Statements []vex.Statement

// Statements returns s.
func (s Statements) Statements(context.Context, []vex.Subject) ([]vex.Statement, error) {
	return s, nil
}

// StoredStatements reads a tenant's statements from a VEX store, one query
// for all the subjects of a scan.
func StoredStatements(s vex.Store, tenant string) StatementSource {
	return storeSource{s, tenant}
}

type storeSource struct {
	store  vex.Store
	tenant string
}

func (s storeSource) Statements(ctx context.Context, subjects []vex.Subject) ([]vex.Statement, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	return s.store.Statements(ctx, s.tenant, vex.FilterFor(subjects...))
}

// VEX is a prepared VEX view: the issuer registry, the consensus over it
// and where statements come from. It is safe for concurrent use when its
// source is.
type VEX struct {
	registry  *vex.Registry
	consensus *vex.Consensus
	source    StatementSource
}

// NewVEX prepares a view. A nil registry is the hub default (every issuer
// unknown); a nil source has no statements, so every verdict is unknown.
func NewVEX(reg *vex.Registry, src StatementSource, opts ...vex.Option) (*VEX, error) {
	if reg == nil {
		var err error
		if reg, err = vex.NewRegistry(""); err != nil {
			return nil, err
		}
	}
	c, err := vex.NewConsensus(reg, opts...)
	if err != nil {
		return nil, err
	}
	if src == nil {
		src = Statements(nil)
	}
	return &VEX{registry: reg, consensus: c, source: src}, nil
}

// Registry is the view's issuer registry; its digest is a decision's
// issuerRegistryDigest.
func (v *VEX) Registry() *vex.Registry { return v.registry }

// Apply gives every finding its consensus verdict as of cutoff, with
// product (an image digest, or "") as the subject's product. Findings no
// statement speaks about get an unknown verdict and stay active.
func (v *VEX) Apply(ctx context.Context, findings []advisory.Finding, product string, cutoff time.Time) ([]vex.Applied, error) {
	subjects := make([]vex.Subject, len(findings))
	for i, f := range findings {
		subjects[i] = vex.SubjectFor(f, product)
	}
	stmts, err := v.source.Statements(ctx, subjects)
	if err != nil {
		return nil, fmt.Errorf("scan: vex statements: %w", err)
	}
	idx := vex.NewIndex(stmts)
	out := make([]vex.Applied, len(findings))
	for i, f := range findings {
		verdict, err := v.consensus.Evaluate(ctx, subjects[i], idx.Lookup(subjects[i].Vuln), cutoff)
		if err != nil {
			return nil, fmt.Errorf("scan: vex verdict of %s in %s: %w", f.AdvisoryID, f.Package, err)
		}
		out[i] = vex.Applied{Finding: f, Verdict: verdict, Suppressed: verdict.Suppressed()}
	}
	return out, nil
}
