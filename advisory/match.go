package advisory

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/stella-ops/stella/sbom"
)

// Finding says that an installed package version lies in an advisory's
// affected ranges, and why.
type Finding struct {
	Package          string     `json:"package"` // component identity (purl)
	PackageKey       PackageKey `json:"packageKey"`
	InstalledVersion string     `json:"installedVersion"`
	AdvisoryID       string     `json:"advisoryId"`
	Aliases          []string   `json:"aliases"`
	FixedVersions    []string   `json:"fixedVersions"` // ordered by version
	Severity         *Severity  `json:"severity,omitempty"`
	// KEV and EPSS are enrichment, filled after matching from their feeds.
	KEV      *KEV     `json:"kev,omitempty"`
	EPSS     *EPSS    `json:"epss,omitempty"`
	Evidence Evidence `json:"evidence"`
}

// KEV is the CISA Known Exploited Vulnerabilities listing of an advisory.
type KEV struct {
	DateAdded  string `json:"dateAdded"` // YYYY-MM-DD
	DueDate    string `json:"dueDate,omitempty"`
	Ransomware bool   `json:"ransomware"`
}

// EPSS is an exploit-prediction score with the model and date it came from.
type EPSS struct {
	Score        float64 `json:"score"`
	Percentile   float64 `json:"percentile"`
	ModelVersion string  `json:"modelVersion"`
	ScoreDate    string  `json:"scoreDate"`
}

// Unmatched records a (component, advisory) pair that could not be decided,
// such as an ECOSYSTEM range for an ecosystem without a version scheme or
// an installed version that does not parse. It is never a silent "clean".
type Unmatched struct {
	Package    string     `json:"package"`
	PackageKey PackageKey `json:"packageKey"`
	AdvisoryID string     `json:"advisoryId"`
	Evidence   Evidence   `json:"evidence"`
}

// Report is the full result of matching one SBOM.
type Report struct {
	Findings  []Finding   `json:"findings"`  // sorted by Package, then AdvisoryID
	Unmatched []Unmatched `json:"unmatched"` // sorted by Package, then AdvisoryID
}

// Option configures a Matcher.
type Option func(*Matcher)

// WithSchemes sets the per-ecosystem version schemes (default:
// EcosystemSchemes, advisory/version's scheme for every ecosystem).
func WithSchemes(s Schemes) Option { return func(m *Matcher) { m.schemes = s } }

// Matcher matches SBOM components against a fixed set of advisories. It is
// built once (advisories indexed by package key, version schemes resolved)
// and is safe for concurrent use.
type Matcher struct {
	schemes Schemes
	index   map[PackageKey][]target
	comps   map[string]Comparer // by ecosystem; nil value = unsupported
}

// target is one affected entry of one advisory.
type target struct {
	adv *Advisory
	aff *Affected
}

// NewMatcher indexes advisories by (ecosystem, package name). Withdrawn
// advisories are left out: they never match.
func NewMatcher(advisories []Advisory, opts ...Option) *Matcher {
	m := &Matcher{schemes: EcosystemSchemes, index: map[PackageKey][]target{}, comps: map[string]Comparer{}}
	for _, o := range opts {
		o(m)
	}
	for i := range advisories {
		a := &advisories[i]
		if a.IsWithdrawn() {
			continue
		}
		for j := range a.Affected {
			aff := &a.Affected[j]
			k := NewPackageKey(aff.Package.Ecosystem, aff.Package.Name)
			m.index[k] = append(m.index[k], target{a, aff})
			if _, seen := m.comps[k.Ecosystem]; !seen {
				c, err := m.schemes(k.Ecosystem)
				if err != nil {
					c = nil // ECOSYSTEM ranges become Unmatched; SEMVER ranges still work
				}
				m.comps[k.Ecosystem] = c
			}
		}
	}
	return m
}

// Match returns the findings for doc's components, sorted by package then
// advisory id. Use Scan to also see undecidable pairs.
func (m *Matcher) Match(ctx context.Context, doc *sbom.Document) ([]Finding, error) {
	r, err := m.Scan(ctx, doc)
	return r.Findings, err
}

// Scan matches doc's components and reports findings and undecidable pairs.
func (m *Matcher) Scan(ctx context.Context, doc *sbom.Document) (Report, error) {
	rep := Report{Findings: []Finding{}, Unmatched: []Unmatched{}}
	if doc == nil {
		return rep, errors.New("advisory: match: nil SBOM document")
	}
	osInfo := documentOS(doc)
	for i := range doc.Components {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return Report{}, err
			}
		}
		c := &doc.Components[i]
		key, version, reason := componentKey(c, osInfo)
		if reason != "" || version == "" {
			continue // no purl-based match; CPE matching is a separate path
		}
		m.matchComponent(c.Identity(), key, version, &rep)
	}
	sortReport(&rep)
	return rep, nil
}

func (m *Matcher) matchComponent(identity string, key PackageKey, version string, rep *Report) {
	byAdvisory := map[string]int{} // advisory id → index in rep.Findings, for this component
	for _, t := range m.index[key] {
		eco := m.comps[key.Ecosystem]
		res := EvaluateAffected(t.aff, version, eco)
		if res.Unsupported {
			rep.Unmatched = append(rep.Unmatched, Unmatched{identity, key, t.adv.ID, res.Evidence})
			continue
		}
		if !res.Affected {
			continue
		}
		fixed := FixedVersions(t.aff, eco)
		if i, dup := byAdvisory[t.adv.ID]; dup { // one finding per (advisory, component)
			f := &rep.Findings[i]
			for _, v := range fixed {
				if !slices.Contains(f.FixedVersions, v) {
					f.FixedVersions = append(f.FixedVersions, v)
				}
			}
			continue
		}
		byAdvisory[t.adv.ID] = len(rep.Findings)
		rep.Findings = append(rep.Findings, Finding{
			Package:          identity,
			PackageKey:       key,
			InstalledVersion: version,
			AdvisoryID:       t.adv.ID,
			Aliases:          slices.Sorted(slices.Values(append([]string{}, t.adv.Aliases...))),
			FixedVersions:    fixed,
			Severity:         preferredSeverity(t.adv.Severity),
			Evidence:         res.Evidence,
		})
	}
}

// preferredSeverity picks CVSS v4 over v3 (advisory.md §3.3), the first of
// each in source order.
func preferredSeverity(ss []Severity) *Severity {
	for _, t := range []SeverityType{CVSSv4, CVSSv3} {
		for i := range ss {
			if ss[i].Type == t {
				s := ss[i]
				return &s
			}
		}
	}
	return nil
}

func sortReport(r *Report) {
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.AdvisoryID, b.AdvisoryID))
	})
	slices.SortFunc(r.Unmatched, func(a, b Unmatched) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.AdvisoryID, b.AdvisoryID))
	})
	r.Unmatched = slices.CompactFunc(r.Unmatched, func(a, b Unmatched) bool {
		return a.Package == b.Package && a.AdvisoryID == b.AdvisoryID
	})
	// A pair that matched through another affected entry is decided.
	r.Unmatched = slices.DeleteFunc(r.Unmatched, func(u Unmatched) bool {
		_, found := slices.BinarySearchFunc(r.Findings, u, func(f Finding, u Unmatched) int {
			return cmp.Or(cmp.Compare(f.Package, u.Package), cmp.Compare(f.AdvisoryID, u.AdvisoryID))
		})
		return found
	})
}
