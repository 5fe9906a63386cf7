package advisory

import (
	"time"

	"github.com/stella-ops/stella/internal/canon"
)

// Effective is the derived view of one alias group (advisory.md §3.3): one
// record per group, each contested field chosen by source precedence with
// its provenance, lists unioned, disagreements kept as conflicts. Every
// array is sorted, so the record — and its Digest — depends only on the set
// of observations merged, never on their order.
type Effective struct {
	// ID is the group key (see GroupKey); Aliases are the group's other
	// identifiers, sorted.
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`

	Summary   string     `json:"summary,omitempty"`
	Details   string     `json:"details,omitempty"`
	Published *time.Time `json:"published,omitempty"`
	// Modified is the newest upstream modification time of the group.
	Modified *time.Time `json:"modified,omitempty"`
	// Withdrawn is set when the identity winner (the best-ranked source of
	// the group) withdrew or rejected the advisory.
	Withdrawn bool `json:"withdrawn"`

	// Severity is the precedence winner among sources that score the
	// advisory; Severities keeps every source's, sorted by source.
	Severity   *EffectiveSeverity `json:"severity,omitempty"`
	Severities []SourceSeverity   `json:"severities"`

	// Affected holds one entry per package key, sorted by key.
	Affected   []EffectiveAffected `json:"affected"`
	References []SourcedReference  `json:"references"`

	KEV  *KEV  `json:"kev,omitempty"`
	EPSS *EPSS `json:"epss,omitempty"`

	// Sources lists the observations merged, sorted by source then upstream id.
	Sources    []EffectiveSource `json:"sources"`
	Provenance []Provenance      `json:"provenance"` // sorted by Pointer
	Conflicts  []Conflict        `json:"conflicts"`  // sorted by code, field, package key

	// Digest is "sha256:" of JCS of the record without Digest.
	Digest string `json:"digest,omitempty"`
}

// EffectiveSeverity is the chosen severity: a rating and, when the source
// gave one, the CVSS vector with its base score.
type EffectiveSeverity struct {
	Label Rating `json:"label"` // RatingFor the base score; "" when unscored
	CVSS  *CVSS  `json:"cvss,omitempty"`
}

// CVSS is a vector with its version and computed base score (nil when the
// version is not scored, CVSS v4.0 for now).
type CVSS struct {
	Version   string   `json:"version"`
	Vector    string   `json:"vector"`
	BaseScore *float64 `json:"baseScore,omitempty"`
}

// SourceSeverity is one source's severity, kept for explanations.
type SourceSeverity struct {
	Source        string `json:"source"`
	ObservationID string `json:"observationId"`
	EffectiveSeverity
}

// EffectiveAffected is the winning source's data for one package key.
type EffectiveAffected struct {
	Package       Package  `json:"package"`
	Ranges        []Range  `json:"ranges,omitempty"`
	Versions      []string `json:"versions,omitempty"`
	FixedVersions []string `json:"fixedVersions"` // ordered by the ecosystem's version scheme
	FixState      string   `json:"fixState"`      // fixed, not-fixed, unknown
	Source        string   `json:"source"`
}

// Fix states.
const (
	FixFixed    = "fixed"
	FixNotFixed = "not-fixed"
	FixWontFix  = "wont-fix"
	FixUnknown  = "unknown"
)

// Key returns the entry's package key.
func (a *EffectiveAffected) Key() PackageKey {
	return NewPackageKey(a.Package.Ecosystem, a.Package.Name)
}

// SourcedReference is a reference with the sources that gave it.
type SourcedReference struct {
	Reference
	Sources []string `json:"sources"`
}

// EffectiveSource is one observation merged into the record.
type EffectiveSource struct {
	Source        string `json:"source"`
	UpstreamID    string `json:"upstreamId"`
	ObservationID string `json:"observationId"`
	ContentHash   string `json:"contentHash"`
	Rank          int    `json:"rank"`
}

// Provenance says where a chosen value came from. Pointer is a JSON pointer
// into the record ("/summary", "/severity", "/affected/0").
type Provenance struct {
	Pointer        string `json:"pointer"`
	Source         string `json:"source"`
	ObservationID  string `json:"observationId"`
	Rank           int    `json:"rank"`
	DecisionReason string `json:"decisionReason"`
}

// Conflict codes (advisory.md §3.4).
const (
	ConflictSeverityMismatch      = "severity-mismatch"
	ConflictRangeDivergence       = "affected-range-divergence"
	ConflictFixedVersionMismatch  = "fixed-version-mismatch"
	ConflictWithdrawnDisagreement = "withdrawn-disagreement"
	ConflictAliasInconsistency    = "alias-inconsistency"
	ConflictMetadataGap           = "metadata-gap"
)

// Conflict is a disagreement between sources, recorded and never silently
// resolved: Chosen is always the precedence winner's value.
type Conflict struct {
	Code           string            `json:"code"`
	Field          string            `json:"field"`
	PackageKey     string            `json:"packageKey,omitempty"`
	Sources        []string          `json:"sources"`
	Values         map[string]string `json:"values"`
	Chosen         string            `json:"chosen"`
	DecisionReason string            `json:"decisionReason"`
}

// ComputeDigest returns "sha256:" of JCS of e without its Digest field.
func (e *Effective) ComputeDigest() (string, error) {
	c := *e
	c.Digest = ""
	return canon.Digest(&c)
}

// Advisory returns the record in the model the Matcher indexes, so that
// NewMatcher can run on effective advisories. The severity is the chosen
// CVSS vector, if any.
func (e *Effective) Advisory() Advisory {
	a := Advisory{ID: e.ID, Aliases: append([]string(nil), e.Aliases...), Summary: e.Summary, Details: e.Details}
	if e.Published != nil {
		a.Published = *e.Published
	}
	if e.Modified != nil {
		a.Modified = *e.Modified
	}
	if e.Withdrawn {
		a.Withdrawn = a.Modified
		if a.Withdrawn.IsZero() {
			a.Withdrawn = time.Unix(0, 0).UTC()
		}
	}
	for _, x := range e.Affected {
		a.Affected = append(a.Affected, Affected{Package: x.Package, Ranges: x.Ranges, Versions: x.Versions})
	}
	if e.Severity != nil && e.Severity.CVSS != nil {
		t := CVSSv3
		if e.Severity.CVSS.Version == "4.0" {
			t = CVSSv4
		}
		a.Severity = []Severity{{Type: t, Score: e.Severity.CVSS.Vector, BaseScore: e.Severity.CVSS.BaseScore}}
	}
	for _, r := range e.References {
		a.References = append(a.References, r.Reference)
	}
	return a
}

// Enrichment is KEV and EPSS data keyed by CVE id. It never takes part in
// precedence; Enrich attaches it to the group holding the CVE.
type Enrichment struct {
	KEV  map[string]KEV  `json:"kev,omitempty"`
	EPSS map[string]EPSS `json:"epss,omitempty"`
}

// Enrich sets KEV and EPSS on every record whose id or aliases name a CVE in
// e (the smallest such CVE id when several do) and recomputes the digests.
func Enrich(effs []Effective, e Enrichment) error {
	for i := range effs {
		x := &effs[i]
		x.KEV, x.EPSS = nil, nil
		ids := append([]string{x.ID}, x.Aliases...)
		for _, id := range ids { // x.ID first, then sorted aliases
			if k, ok := e.KEV[id]; ok && x.KEV == nil {
				k := k
				x.KEV = &k
			}
			if s, ok := e.EPSS[id]; ok && x.EPSS == nil {
				s := s
				x.EPSS = &s
			}
		}
		d, err := x.ComputeDigest()
		if err != nil {
			return err
		}
		x.Digest = d
	}
	return nil
}
