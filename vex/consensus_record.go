package vex

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/canon"
)

// ConsensusSchema names the consensus record format (vex.md §6).
const ConsensusSchema = "stella.vex.consensus/v1"

// DropReason says why a claim did not take part in the decision.
type DropReason string

// Drop reasons (vex.md §6).
const (
	DropSuperseded          DropReason = "superseded"
	DropBelowMinScore       DropReason = "below-min-score"
	DropOutOfScope          DropReason = "out-of-scope"
	DropUnsignedNotAffected DropReason = "unsigned-not-affected"
)

// FlagFutureTimestamp marks a claim dated after the cut-off (vex.md §4.3).
const FlagFutureTimestamp = "future-timestamp"

// SubjectRecord is the subject as written in a verdict.
type SubjectRecord struct {
	Product       string   `json:"product,omitempty"`
	Package       string   `json:"package"`
	CPE           string   `json:"cpe,omitempty"`
	Vulnerability string   `json:"vulnerability"`
	Aliases       []string `json:"aliases"`
}

// Claim is one explanation entry: a scored input statement and what the
// algorithm did with it.
type Claim struct {
	Issuer          string        `json:"issuer"`
	Class           IssuerClass   `json:"class"`
	Format          Format        `json:"format"`
	DocumentDigest  string        `json:"documentDigest"`
	StatementDigest string        `json:"statementDigest"`
	Status          Status        `json:"status"`
	Justification   Justification `json:"justification,omitempty"`
	Timestamp       time.Time     `json:"timestamp"`
	Provenance      float64       `json:"P"`
	Coverage        float64       `json:"C"`
	Replayability   float64       `json:"R"`
	BaseTrust       float64       `json:"baseTrust"`
	Strength        float64       `json:"M"`
	Freshness       float64       `json:"F"`
	Score           float64       `json:"score"`
	InTopSet        bool          `json:"inTopSet"`
	Dropped         DropReason    `json:"dropped,omitempty"`
	Flags           []string      `json:"flags,omitempty"`
}

// Verdict is the consensus record for one subject (vex.md §6). Its Digest
// is the sha256 of the JCS of the record without the digest.
type Verdict struct {
	Schema         string        `json:"schema"`
	Subject        SubjectRecord `json:"subject"`
	Status         Status        `json:"status"`
	Conflict       bool          `json:"conflict"`
	Confidence     float64       `json:"confidence"`
	Justification  Justification `json:"justification,omitempty"`
	Settings       Settings      `json:"settings"`
	Cutoff         time.Time     `json:"cutoff"`
	RegistryDigest string        `json:"registryDigest"`
	Inputs         []string      `json:"inputs"`
	Claims         []Claim       `json:"claims"`
	Digest         string        `json:"consensusDigest,omitempty"`
}

// Suppressed reports whether the verdict suppresses a finding: not_affected
// and fixed do; everything else leaves it active (vex.md §5).
func (v Verdict) Suppressed() bool {
	return v.Status == StatusNotAffected || v.Status == StatusFixed
}

// seal sorts the explanation and sets the digest.
func (v *Verdict) seal() error {
	slices.SortFunc(v.Claims, compareClaims)
	v.Digest = ""
	d, err := canon.Digest(v)
	if err != nil {
		return err
	}
	v.Digest = d
	return nil
}

// compareClaims orders claims by score descending, then issuer, then
// statement digest (vex.md §6).
func compareClaims(a, b Claim) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := strings.Compare(a.Issuer, b.Issuer); c != 0 {
		return c
	}
	return strings.Compare(a.StatementDigest, b.StatementDigest)
}

// subjectRecord writes the alias group as its first id plus the sorted,
// deduplicated rest.
func subjectRecord(s Subject) SubjectRecord {
	r := SubjectRecord{Product: s.Product, Package: s.Package, CPE: s.CPE, Aliases: []string{}}
	if len(s.Vuln) == 0 {
		return r
	}
	r.Vulnerability = s.Vuln[0]
	for _, a := range s.Vuln[1:] {
		if a != r.Vulnerability {
			r.Aliases = append(r.Aliases, a)
		}
	}
	slices.Sort(r.Aliases)
	r.Aliases = slices.Compact(r.Aliases)
	return r
}
