package advisory

import "time"

// Advisory is one vulnerability record in the shape of the OSV schema 1.x.
// Fields a reader does not know stay in the observation's raw content; the
// model keeps only what merging and matching use.
type Advisory struct {
	ID         string      `json:"id"`
	Aliases    []string    `json:"aliases,omitempty"`
	Related    []string    `json:"related,omitempty"`
	Summary    string      `json:"summary,omitempty"`
	Details    string      `json:"details,omitempty"`
	Affected   []Affected  `json:"affected,omitempty"`
	Severity   []Severity  `json:"severity,omitempty"`
	References []Reference `json:"references,omitempty"`
	Published  time.Time   `json:"published,omitzero"`
	// Modified is required by OSV but may be the zero time: the Go
	// vulnerability database writes "0001-01-01T00:00:00Z" in every record.
	Modified  time.Time `json:"modified"`
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	Source    string    `json:"source,omitempty"` // source id (advisory.md §1), e.g. "osv"
}

// IsWithdrawn reports whether the advisory was withdrawn; such advisories
// never match.
func (a *Advisory) IsWithdrawn() bool { return !a.Withdrawn.IsZero() }

// Affected is one package an advisory affects, with its version ranges and
// explicitly enumerated versions. A version is affected if it lies in any
// range or is listed in Versions.
type Affected struct {
	Package  Package  `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Package names an affected package: the OSV ecosystem (e.g. "Go", "npm",
// "Debian:12"), the package name within it, and optionally its purl.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// RangeType says how a range's event versions are ordered.
type RangeType string

// OSV range types.
const (
	// RangeSemver orders events by SemVer 2.0, whatever the ecosystem.
	RangeSemver RangeType = "SEMVER"
	// RangeEcosystem orders events by the ecosystem's own version scheme.
	RangeEcosystem RangeType = "ECOSYSTEM"
	// RangeGit holds commit hashes; it cannot be evaluated against package
	// versions and never matches.
	RangeGit RangeType = "GIT"
)

// Range is a list of events that, sorted by version, describe affected
// intervals.
type Range struct {
	Type   RangeType `json:"type"`
	Repo   string    `json:"repo,omitempty"` // GIT ranges only
	Events []Event   `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Kind returns the event's kind ("introduced", "fixed", "last_affected",
// "limit") and version; kind is "" when no field or more than one is set.
func (e Event) Kind() (kind, version string) {
	n := 0
	for _, f := range []struct{ k, v string }{
		{EventIntroduced, e.Introduced}, {EventFixed, e.Fixed},
		{EventLastAffected, e.LastAffected}, {EventLimit, e.Limit},
	} {
		if f.v != "" {
			kind, version = f.k, f.v
			n++
		}
	}
	if n != 1 {
		return "", ""
	}
	return kind, version
}

// Event kinds, as OSV spells them.
const (
	EventIntroduced   = "introduced"
	EventFixed        = "fixed"
	EventLastAffected = "last_affected"
	EventLimit        = "limit"
)

// SeverityType names a severity scoring system.
type SeverityType string

// Severity types read from OSV.
const (
	CVSSv3 SeverityType = "CVSS_V3"
	CVSSv4 SeverityType = "CVSS_V4"
)

// Severity is a scored vector. BaseScore is computed from Score by this
// package (CVSS v3.x); it is nil when the vector's version is not scored
// (CVSS v4.0 vectors are validated but not yet scored).
type Severity struct {
	Type      SeverityType `json:"type"`
	Score     string       `json:"score"` // the vector, e.g. "CVSS:3.1/AV:N/…"
	BaseScore *float64     `json:"baseScore,omitempty"`
}

// Reference is a link with its OSV type (ADVISORY, FIX, REPORT, WEB, …).
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}
