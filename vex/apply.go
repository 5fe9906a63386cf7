package vex

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/advisory"
)

// Applied is a finding with its VEX verdict (vex.md §5, "Applying a
// verdict"). A suppressed finding is kept, never deleted: Suppressed says
// the consensus is not_affected or fixed, and the verdict keeps the
// justification and the per-claim explanation.
type Applied struct {
	Finding    advisory.Finding
	Verdict    Verdict
	Suppressed bool
}

// SubjectFor is the consensus subject of a finding in product (an image
// digest or product purl, or "" when the scan has none): the finding's purl
// and its advisory id followed by its aliases.
func SubjectFor(f advisory.Finding, product string) Subject {
	vuln := make([]string, 0, 1+len(f.Aliases))
	vuln = append(vuln, f.AdvisoryID)
	for _, a := range f.Aliases {
		if a != "" && a != f.AdvisoryID {
			vuln = append(vuln, a)
		}
	}
	return Subject{Product: product, Package: f.Package, Vuln: vuln}
}

// Apply evaluates the consensus over stmts for every finding as of cutoff
// and returns the findings, in order, each with its verdict. Findings no
// statement speaks about get an unknown verdict and stay active. Each
// finding is evaluated over the statements an Index finds for its alias
// group only, which gives the same verdict as evaluating all of them.
func Apply(ctx context.Context, findings []advisory.Finding, stmts []Statement, c *Consensus, product string, cutoff time.Time) ([]Applied, error) {
	if c == nil {
		var err error
		if c, err = NewConsensus(nil); err != nil {
			return nil, err
		}
	}
	idx := NewIndex(stmts)
	out := make([]Applied, 0, len(findings))
	for _, f := range findings {
		subj := SubjectFor(f, product)
		v, err := c.Evaluate(ctx, subj, idx.Lookup(subj.Vuln), cutoff)
		if err != nil {
			return nil, fmt.Errorf("vex: apply to %s in %s: %w", f.AdvisoryID, f.Package, err)
		}
		out = append(out, Applied{Finding: f, Verdict: v, Suppressed: v.Suppressed()})
	}
	return out, nil
}
