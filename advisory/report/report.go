package report

import (
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
)

// Report is the result of scanning one source. Its JSON form is Stella's
// documented scan output; every list is sorted, so equal inputs give equal
// bytes.
type Report struct {
	Source            string `json:"source"`            // what was scanned, as given
	SBOMContentDigest string `json:"sbomContentDigest"` // sbom.ContentDigest of the generated SBOM
	// AdvisorySnapshotID names the store snapshot matched against
	// (advisory.md §6), when the advisories came from a store.
	AdvisorySnapshotID string      `json:"advisorySnapshotId,omitempty"`
	Findings           []Finding   `json:"findings"`  // by advisoryId, then purl (advisory.md §5.5)
	Unmatched          []Unmatched `json:"unmatched"` // pairs that could not be decided, same order
	Summary            Summary     `json:"summary"`

	rules map[string]Rule // advisory id → rule text, for SARIF
}

// Finding is one package version inside one advisory's affected ranges.
type Finding struct {
	PURL             string            `json:"purl"`
	Ecosystem        string            `json:"ecosystem"`
	Package          string            `json:"package"` // name in its ecosystem
	InstalledVersion string            `json:"installedVersion"`
	AdvisoryID       string            `json:"advisoryId"`
	Aliases          []string          `json:"aliases"`
	Severity         Severity          `json:"severity"`
	FixedVersions    []string          `json:"fixedVersions"`
	KEV              *advisory.KEV     `json:"kev,omitempty"`
	EPSS             *advisory.EPSS    `json:"epss,omitempty"`
	Evidence         advisory.Evidence `json:"evidence"`
	Summary          string            `json:"summary,omitempty"` // the advisory's one-line summary
	// VEX is the finding's VEX verdict, when VEX was applied to the scan.
	// A suppressed finding stays in the list (vex.md §5).
	VEX *VEX `json:"vex,omitempty"`
}

// VEX is the consensus verdict (vex.md §5, §6) applied to one finding.
// Suppressed is true for not_affected and fixed: the finding is kept,
// with its justification, but no longer counts against --fail-on.
type VEX struct {
	Status          string  `json:"status"`
	Justification   string  `json:"justification,omitempty"`
	Suppressed      bool    `json:"suppressed"`
	Confidence      float64 `json:"confidence"`
	Conflict        bool    `json:"conflict"`
	ConsensusDigest string  `json:"consensusDigest"`
}

// Severity is the preferred CVSS vector of an advisory with its base score
// and label. Score and Vector are absent when the advisory gives none.
type Severity struct {
	Score  *float64        `json:"score"`
	Vector string          `json:"vector,omitempty"`
	Rating advisory.Rating `json:"rating"`
}

// Unmatched is an undecidable (package, advisory) pair, such as an
// ECOSYSTEM range for an ecosystem with no version scheme. It is reported,
// never read as "not affected".
type Unmatched struct {
	PURL       string            `json:"purl"`
	Ecosystem  string            `json:"ecosystem"`
	Package    string            `json:"package"`
	AdvisoryID string            `json:"advisoryId"`
	Evidence   advisory.Evidence `json:"evidence"`
}

// Summary counts findings by rating; every rating is present.
type Summary struct {
	Findings   int                     `json:"findings"`
	Unmatched  int                     `json:"unmatched"`
	Packages   int                     `json:"packages"`   // components in the SBOM
	Advisories int                     `json:"advisories"` // advisories matched against
	BySeverity map[advisory.Rating]int `json:"bySeverity"`
	// Suppressed counts findings suppressed by VEX (still in findings).
	Suppressed int `json:"suppressed,omitempty"`
}

// Rule is what SARIF says about one advisory.
type Rule struct {
	Summary string
	HelpURI string
}

// New builds a report from a matcher result. advisories supplies summaries
// and links; components and advisories are the counts for the summary.
func New(source, sbomDigest string, r advisory.Report, advisories []advisory.Advisory, components int) *Report {
	rep := &Report{
		Source:            source,
		SBOMContentDigest: sbomDigest,
		Findings:          make([]Finding, 0, len(r.Findings)),
		Unmatched:         make([]Unmatched, 0, len(r.Unmatched)),
		rules:             map[string]Rule{},
	}
	byID := make(map[string]*advisory.Advisory, len(advisories))
	for i := range advisories {
		byID[advisories[i].ID] = &advisories[i]
	}
	for _, f := range r.Findings {
		var summary string
		if a := byID[f.AdvisoryID]; a != nil {
			summary = a.Summary
			rep.rules[f.AdvisoryID] = Rule{Summary: a.Summary, HelpURI: helpURI(a)}
		}
		rep.Findings = append(rep.Findings, Finding{
			PURL:             f.Package,
			Ecosystem:        f.PackageKey.Ecosystem,
			Package:          f.PackageKey.Name,
			InstalledVersion: f.InstalledVersion,
			AdvisoryID:       f.AdvisoryID,
			Aliases:          nonNil(f.Aliases),
			Severity:         severityOf(f.Severity),
			FixedVersions:    nonNil(f.FixedVersions),
			KEV:              f.KEV,
			EPSS:             f.EPSS,
			Evidence:         f.Evidence,
			Summary:          summary,
		})
	}
	for _, u := range r.Unmatched {
		rep.Unmatched = append(rep.Unmatched, Unmatched{
			PURL: u.Package, Ecosystem: u.PackageKey.Ecosystem, Package: u.PackageKey.Name,
			AdvisoryID: u.AdvisoryID, Evidence: u.Evidence,
		})
	}
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.AdvisoryID, b.AdvisoryID), cmp.Compare(a.PURL, b.PURL))
	})
	slices.SortFunc(rep.Unmatched, func(a, b Unmatched) int {
		return cmp.Or(cmp.Compare(a.AdvisoryID, b.AdvisoryID), cmp.Compare(a.PURL, b.PURL))
	})
	rep.Summary = Summary{
		Findings: len(rep.Findings), Unmatched: len(rep.Unmatched),
		Packages: components, Advisories: len(advisories),
		BySeverity: map[advisory.Rating]int{
			advisory.RatingNone: 0, advisory.RatingLow: 0, advisory.RatingMedium: 0,
			advisory.RatingHigh: 0, advisory.RatingCritical: 0, advisory.RatingUnknown: 0,
		},
	}
	for _, f := range rep.Findings {
		rep.Summary.BySeverity[f.Severity.Rating]++
	}
	return rep
}

// SetVEX attaches a VEX verdict to the finding for (advisoryID, purl) and
// recounts the suppressed findings. It reports whether the finding exists.
func (r *Report) SetVEX(advisoryID, purl string, v VEX) bool {
	found := false
	for i := range r.Findings {
		if r.Findings[i].AdvisoryID == advisoryID && r.Findings[i].PURL == purl {
			vv := v
			r.Findings[i].VEX = &vv
			found = true
		}
	}
	r.Summary.Suppressed = 0
	for _, f := range r.Findings {
		if f.Suppressed() {
			r.Summary.Suppressed++
		}
	}
	return found
}

// Suppressed reports whether VEX suppressed the finding.
func (f Finding) Suppressed() bool { return f.VEX != nil && f.VEX.Suppressed }

// AtLeast returns the active findings whose rating meets threshold (see
// advisory.Rating.AtLeast: unknown severities always do). Findings
// suppressed by VEX never meet a threshold.
func (r *Report) AtLeast(threshold advisory.Rating) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.Suppressed() && f.Severity.Rating.AtLeast(threshold) {
			out = append(out, f)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func severityOf(s *advisory.Severity) Severity {
	if s == nil {
		return Severity{Rating: advisory.RatingUnknown}
	}
	out := Severity{Vector: s.Score, Rating: advisory.RatingUnknown}
	if s.BaseScore != nil {
		score := *s.BaseScore
		out.Score = &score
		out.Rating = advisory.RatingFor(score)
	}
	return out
}

// helpURI prefers the advisory's own ADVISORY reference, then osv.dev.
func helpURI(a *advisory.Advisory) string {
	for _, ref := range a.References {
		if ref.Type == "ADVISORY" && strings.HasPrefix(ref.URL, "https://") {
			return ref.URL
		}
	}
	return "https://osv.dev/vulnerability/" + a.ID
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
