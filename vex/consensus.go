package vex

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"
)

// Subject is what a consensus is computed for: a package (purl) found in a
// product (image digest or product purl), and a vulnerability's alias
// group, primary id first.
type Subject struct {
	Product string
	Package string
	Vuln    []string
	// CPE is the CPE the finding was matched on, when it was CPE-matched
	// (advisory.md §5); CPE claims apply only to such findings.
	CPE string
}

// Consensus computes trust-weighted verdicts (vex.md §5). It is safe for
// concurrent use.
type Consensus struct {
	registry *Registry
	settings Settings
}

// NewConsensus returns a Consensus over registry with DefaultSettings
// modified by opts. Invalid settings (e.g. weights not summing to 1) are
// rejected here, at configuration time.
func NewConsensus(registry *Registry, opts ...Option) (*Consensus, error) {
	s := DefaultSettings()
	for _, o := range opts {
		o(&s)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if registry == nil {
		var err error
		if registry, err = NewRegistry(""); err != nil {
			return nil, err
		}
	}
	return &Consensus{registry: registry, settings: s}, nil
}

// Settings returns a copy of the settings in effect.
func (c *Consensus) Settings() Settings {
	s := c.settings
	s.HalfLifeByClass = maps.Clone(s.HalfLifeByClass)
	return s
}

// candidate is an applicable statement with its coverage for the subject.
type candidate struct {
	stmt     Statement
	coverage float64
}

// Evaluate computes the verdict for subj from stmts as of cutoff (vex.md
// §5). Statements that do not apply to subj are ignored; the result does
// not depend on the order of stmts or on duplicates among them. A statement
// dated after the cut-off is scored with F = 1 and flagged
// future-timestamp, as §4.3 requires, rather than ignored.
func (c *Consensus) Evaluate(ctx context.Context, subj Subject, stmts []Statement, cutoff time.Time) (Verdict, error) {
	// The record carries whole-second UTC times; score with the same
	// cut-off so a replay from the record gives the same numbers.
	cutoff = cutoff.UTC().Truncate(time.Second)
	cands, err := c.applicable(ctx, subj, stmts)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{
		Schema:         ConsensusSchema,
		Subject:        subjectRecord(subj),
		Status:         StatusUnknown,
		Settings:       c.Settings(),
		Cutoff:         cutoff,
		RegistryDigest: c.registry.Digest(),
		Inputs:         make([]string, 0, len(cands)),
		Claims:         make([]Claim, 0, len(cands)),
	}
	latest := latestPerIssuer(cands)
	for _, cd := range cands {
		v.Inputs = append(v.Inputs, cd.stmt.Digest)
		cl := c.score(subj, cd, cutoff)
		if latest[cd.stmt.Issuer].stmt.Digest != cd.stmt.Digest {
			cl.Dropped = DropSuperseded
		}
		v.Claims = append(v.Claims, cl)
	}
	slices.Sort(v.Inputs)
	decide(&v, c.settings.Delta)
	if err := v.seal(); err != nil {
		return Verdict{}, err
	}
	return v, nil
}

// applicable returns the statements that apply to subj, one per statement
// digest, sorted by digest.
func (c *Consensus) applicable(ctx context.Context, subj Subject, stmts []Statement) ([]candidate, error) {
	seen := make(map[string]bool)
	var out []candidate
	for i, s := range stmts {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !matchesVuln(s, subj.Vuln) {
			continue
		}
		cov, ok := Applies(subj, s.Product)
		if !ok {
			continue
		}
		if s.Digest == "" {
			if _, err := s.ComputeDigest(); err != nil {
				return nil, err
			}
		}
		if seen[s.Digest] {
			continue
		}
		seen[s.Digest] = true
		out = append(out, candidate{stmt: s, coverage: cov})
	}
	slices.SortFunc(out, func(a, b candidate) int { return strings.Compare(a.stmt.Digest, b.stmt.Digest) })
	return out, nil
}

// latestPerIssuer picks each issuer's latest statement: greatest
// timestamp, then higher coverage, then smallest digest (vex.md §5 step 2).
func latestPerIssuer(cands []candidate) map[string]candidate {
	latest := make(map[string]candidate)
	for _, cd := range cands {
		cur, ok := latest[cd.stmt.Issuer]
		if !ok || newer(cd, cur) {
			latest[cd.stmt.Issuer] = cd
		}
	}
	return latest
}

func newer(a, b candidate) bool {
	if c := a.stmt.Timestamp.Compare(b.stmt.Timestamp); c != 0 {
		return c > 0
	}
	if a.coverage != b.coverage {
		return a.coverage > b.coverage
	}
	return a.stmt.Digest < b.stmt.Digest
}

// score computes the explanation entry for one candidate, including the
// registry's drop rules (vex.md §3, §4).
func (c *Consensus) score(subj Subject, cd candidate, cutoff time.Time) Claim {
	s := cd.stmt
	is := c.registry.Lookup(s.Issuer)
	w := c.settings.Weights
	cl := Claim{
		Issuer:          s.Issuer,
		Class:           is.Class,
		Format:          s.Format,
		DocumentDigest:  s.DocumentDigest,
		StatementDigest: s.Digest,
		Status:          s.Status,
		Justification:   s.Justification,
		Timestamp:       s.Timestamp.UTC().Truncate(time.Second),
		Provenance:      Provenance(is, s, cutoff),
		Coverage:        cd.coverage,
		Replayability:   Replayability(is, s),
		Strength:        Strength(s),
	}
	cl.BaseTrust = BaseTrust(w, cl.Provenance, cl.Coverage, cl.Replayability)
	f, future := Freshness(s.Timestamp, cutoff, c.settings.halfLife(is.Class), c.settings.Floor)
	cl.Freshness = f
	if future {
		cl.Flags = []string{FlagFutureTimestamp}
	}
	cl.Score = round6(float64(float64(cl.BaseTrust*cl.Strength) * cl.Freshness))
	switch {
	case !is.inScope(subj.Product, subj.Package):
		cl.Dropped = DropOutOfScope
	case is.RequireSignatureForNotAffected && s.Status == StatusNotAffected &&
		!signedByRegistryKey(is, s, cutoff):
		cl.Dropped = DropUnsignedNotAffected
	case cl.Score < c.settings.MinScore:
		cl.Dropped = DropBelowMinScore
	}
	return cl
}

// decide applies the top set and the lattice (vex.md §5 steps 5–8) to the
// scored claims in v.
func decide(v *Verdict, delta float64) {
	best, found := 0.0, false
	for _, cl := range v.Claims {
		if cl.Dropped == "" && (!found || cl.Score > best) {
			best, found = cl.Score, true
		}
	}
	if !found {
		return // unknown, confidence 0
	}
	threshold := round6(best - delta)
	has := map[Status]bool{}
	for i := range v.Claims {
		cl := &v.Claims[i]
		if cl.Dropped == "" && cl.Score >= threshold {
			cl.InTopSet = true
			has[cl.Status] = true
		}
	}
	v.Confidence = best
	switch {
	case has[StatusAffected] && has[StatusNotAffected]:
		v.Status, v.Conflict = StatusAffected, true
	case has[StatusFixed]:
		v.Status = StatusFixed
	case has[StatusAffected]:
		v.Status = StatusAffected
	case has[StatusNotAffected]:
		v.Status = StatusNotAffected
	case has[StatusUnderInvestigation]:
		v.Status = StatusUnderInvestigation
	}
	slices.SortFunc(v.Claims, compareClaims)
	for _, cl := range v.Claims {
		if cl.InTopSet && cl.Status == v.Status {
			v.Justification = cl.Justification
			break
		}
	}
}
