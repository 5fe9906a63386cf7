package vex

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	openvex "github.com/openvex/go-vex/pkg/vex"

	"github.com/stella-ops/stella/internal/canon"
)

// OpenVEXContext is the @context of the OpenVEX documents Stella writes.
const OpenVEXContext = "https://openvex.dev/ns/v0.2.0"

// ConsensusDocument returns verdicts as one OpenVEX 0.2.0 document by
// author. Each decided verdict becomes a statement about its product (the
// package itself when the verdict has no product, else the product with the
// package as subcomponent); unknown verdicts are left out, since OpenVEX has
// no such status. The document id, timestamps and statement order derive
// from the verdicts only, so equal verdicts give equal bytes.
func ConsensusDocument(verdicts []Verdict, author string) (*openvex.VEX, error) {
	if author == "" {
		return nil, errors.New("vex: consensus document: author is required")
	}
	doc := &openvex.VEX{
		Metadata: openvex.Metadata{
			Context: OpenVEXContext,
			Author:  author,
			Version: 1,
			Tooling: "stella vex consensus (" + ConsensusSchema + ")",
		},
		Statements: []openvex.Statement{},
	}
	var latest time.Time
	digests := make([]string, 0, len(verdicts))
	for _, v := range verdicts {
		if v.Digest == "" {
			return nil, fmt.Errorf("vex: consensus document: verdict for %s in %s is not sealed", v.Subject.Vulnerability, v.Subject.Package)
		}
		digests = append(digests, v.Digest)
		if v.Cutoff.After(latest) {
			latest = v.Cutoff
		}
		if v.Status == StatusUnknown {
			continue
		}
		doc.Statements = append(doc.Statements, openVEXStatement(v))
	}
	slices.Sort(digests)
	digests = slices.Compact(digests)
	id, err := canon.Digest(digests)
	if err != nil {
		return nil, err
	}
	doc.ID = "https://stella-ops.org/vex/consensus/" + strings.TrimPrefix(id, "sha256:")
	latest = latest.UTC()
	doc.Timestamp = &latest
	slices.SortFunc(doc.Statements, compareOpenVEX)
	doc.Statements = slices.CompactFunc(doc.Statements, func(a, b openvex.Statement) bool { return compareOpenVEX(a, b) == 0 })
	return doc, nil
}

func openVEXStatement(v Verdict) openvex.Statement {
	at := v.Cutoff.UTC()
	aliases := make([]openvex.VulnerabilityID, 0, len(v.Subject.Aliases))
	for _, a := range v.Subject.Aliases {
		aliases = append(aliases, openvex.VulnerabilityID(a))
	}
	product := openvex.Product{Component: openvex.Component{ID: v.Subject.Package}}
	if v.Subject.Product != "" {
		product = openvex.Product{
			Component:     openvex.Component{ID: v.Subject.Product},
			Subcomponents: []openvex.Subcomponent{{Component: openvex.Component{ID: v.Subject.Package}}},
		}
	}
	notes := fmt.Sprintf("Stella consensus %s: confidence %.6g", v.Digest, v.Confidence)
	if v.Conflict {
		notes += ", conflicting claims (resolved to affected)"
	}
	s := openvex.Statement{
		ID:            "https://stella-ops.org/vex/consensus/statement/" + strings.TrimPrefix(v.Digest, "sha256:"),
		Vulnerability: openvex.Vulnerability{Name: openvex.VulnerabilityID(v.Subject.Vulnerability), Aliases: aliases},
		Timestamp:     &at,
		Products:      []openvex.Product{product},
		Status:        openvex.Status(v.Status),
		StatusNotes:   notes,
	}
	switch v.Status {
	case StatusNotAffected:
		if v.Justification != "" {
			s.Justification = openvex.Justification(v.Justification)
		} else {
			// OpenVEX requires a justification or an impact statement.
			s.ImpactStatement = "Issuers claim not_affected without a justification (blanket claim); see the consensus record."
		}
	case StatusAffected:
		s.ActionStatement = "Remediate or mitigate; see the consensus record for the claims."
	}
	return s
}

func compareOpenVEX(a, b openvex.Statement) int {
	return cmp.Or(
		strings.Compare(string(a.Vulnerability.Name), string(b.Vulnerability.Name)),
		strings.Compare(a.Products[0].ID, b.Products[0].ID),
		strings.Compare(subID(a), subID(b)),
		strings.Compare(a.ID, b.ID),
	)
}

func subID(s openvex.Statement) string {
	if len(s.Products[0].Subcomponents) == 0 {
		return ""
	}
	return s.Products[0].Subcomponents[0].ID
}

// MarshalOpenVEX encodes an OpenVEX document as RFC 8785 canonical JSON.
func MarshalOpenVEX(doc *openvex.VEX) ([]byte, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("vex: encode OpenVEX: %w", err)
	}
	return canon.Transform(raw)
}
