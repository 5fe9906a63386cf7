package vex

import (
	"time"

	"github.com/stella-ops/stella/internal/canon"
)

// Status is a normalized VEX status (vex.md §2.1).
type Status string

// Normalized statuses. StatusUnknown is never read from input: it is the
// consensus result when no claim survives.
const (
	StatusAffected           Status = "affected"
	StatusNotAffected        Status = "not_affected"
	StatusFixed              Status = "fixed"
	StatusUnderInvestigation Status = "under_investigation"
	StatusUnknown            Status = "unknown"
)

// Justification is a normalized not_affected justification (vex.md §2.2),
// named as in OpenVEX.
type Justification string

// Normalized justifications.
const (
	JustificationComponentNotPresent           Justification = "component_not_present"
	JustificationCodeNotPresent                Justification = "vulnerable_code_not_present"
	JustificationCodeNotInExecutePath          Justification = "vulnerable_code_not_in_execute_path"
	JustificationCodeCannotBeControlled        Justification = "vulnerable_code_cannot_be_controlled_by_adversary"
	JustificationInlineMitigationsAlreadyExist Justification = "inline_mitigations_already_exist"
)

// Format names the document format a statement was read from.
type Format string

// Document formats.
const (
	FormatOpenVEX   Format = "openvex"
	FormatCSAF      Format = "csaf"
	FormatCycloneDX Format = "cyclonedx"
	FormatManual    Format = "manual"
)

// Product is what a statement speaks about: an image digest ("sha256:…")
// or a normalized purl, optionally narrowed to subcomponent purls.
type Product struct {
	Ref           string   `json:"ref"`
	Subcomponents []string `json:"subcomponents,omitempty"` // sorted, deduplicated
}

// Signature records how the statement's envelope was verified.
type Signature struct {
	Signed      bool   `json:"signed"`
	KeyID       string `json:"keyId,omitempty"`
	Verified    bool   `json:"verified"`
	Timestamped bool   `json:"timestamped"`
}

// Statement is one normalized VEX claim (vex.md §2).
type Statement struct {
	Issuer              string        `json:"issuer"`
	DocumentDigest      string        `json:"documentDigest"`
	Format              Format        `json:"format"`
	Vulnerability       string        `json:"vulnerability"`
	Aliases             []string      `json:"aliases,omitempty"` // as given by the document, sorted
	Product             Product       `json:"product"`
	Status              Status        `json:"status"`
	Justification       Justification `json:"justification,omitempty"`
	SourceStatus        string        `json:"sourceStatus"`
	SourceJustification string        `json:"sourceJustification,omitempty"`
	ImpactStatement     string        `json:"impactStatement,omitempty"`
	ActionStatement     string        `json:"actionStatement,omitempty"`
	Timestamp           time.Time     `json:"timestamp"`
	Signature           Signature     `json:"signature"`
	EvidenceRefs        []string      `json:"evidenceRefs,omitempty"`
	Digest              string        `json:"digest,omitempty"`
}

// ComputeDigest sets and returns s.Digest: "sha256:" of the JCS of s
// without its digest. Timestamps are encoded in UTC so the zone the
// document used does not change the digest.
func (s *Statement) ComputeDigest() (string, error) {
	c := *s
	c.Digest = ""
	c.Timestamp = c.Timestamp.UTC()
	d, err := canon.Digest(c)
	if err != nil {
		return "", err
	}
	s.Digest = d
	return d, nil
}
