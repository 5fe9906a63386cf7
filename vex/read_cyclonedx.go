package vex

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ReadCycloneDX reads CycloneDX 1.4–1.7 VEX: vulnerabilities with an
// analysis, standalone or embedded in an SBOM.
func ReadCycloneDX(r io.Reader) ([]Statement, error) {
	d, err := ReadCycloneDXDocument(r)
	if err != nil {
		return nil, err
	}
	return d.Statements, nil
}

// ReadCycloneDXDocument is ReadCycloneDX returning the document record too.
func ReadCycloneDXDocument(r io.Reader) (*Document, error) {
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return readCycloneDX(raw)
}

type cdxBOM struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    struct {
		Timestamp    string     `json:"timestamp"`
		Component    *cdxComp   `json:"component"`
		Manufacturer *cdxNamed  `json:"manufacturer"` // 1.6+
		Manufacture  *cdxNamed  `json:"manufacture"`  // 1.5, deprecated
		Supplier     *cdxNamed  `json:"supplier"`
		Authors      []cdxNamed `json:"authors"`
	} `json:"metadata"`
	Components      []cdxComp `json:"components"`
	Vulnerabilities []cdxVuln `json:"vulnerabilities"`
}

type cdxNamed struct {
	Name string `json:"name"`
}

type cdxComp struct {
	BOMRef     string    `json:"bom-ref"`
	PURL       string    `json:"purl"`
	Components []cdxComp `json:"components"`
}

type cdxVuln struct {
	ID         string `json:"id"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	Analysis *struct {
		State         string   `json:"state"`
		Justification string   `json:"justification"`
		Response      []string `json:"response"`
		Detail        string   `json:"detail"`
		FirstIssued   string   `json:"firstIssued"`
		LastUpdated   string   `json:"lastUpdated"`
	} `json:"analysis"`
	Affects []struct {
		Ref string `json:"ref"`
	} `json:"affects"`
}

var cdxVersions = []string{"1.4", "1.5", "1.6", "1.7"}

func readCycloneDX(raw []byte) (*Document, error) {
	d, err := newDocument(FormatCycloneDX, raw)
	if err != nil {
		return nil, err
	}
	var bom cdxBOM
	if err := decodeJSON(FormatCycloneDX, raw, &bom); err != nil {
		return nil, err
	}
	if bom.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("vex: cyclonedx document: bomFormat %q is not CycloneDX", bom.BOMFormat)
	}
	if !slices.Contains(cdxVersions, bom.SpecVersion) {
		return nil, fmt.Errorf("vex: cyclonedx document: specVersion %q is not one of %v", bom.SpecVersion, cdxVersions)
	}
	d.Author = bom.author()
	docTime, err := parseTime(bom.Metadata.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("vex: cyclonedx document: metadata.timestamp: %w", err)
	}
	purls := bom.purlsByRef()
	analysed := false
	for vi, v := range bom.Vulnerabilities {
		if v.Analysis == nil {
			continue // a plain finding, not a VEX claim
		}
		analysed = true
		s, ok, err := cdxStatement(v, docTime)
		if err != nil {
			return nil, fmt.Errorf("vex: cyclonedx document: vulnerabilities[%d] (%s): %w", vi, v.ID, err)
		}
		if !ok {
			d.warnf("vulnerabilities[%d] (%s): analysis.state %q is not a VEX state", vi, v.ID, v.Analysis.State)
			continue
		}
		for _, a := range v.Affects {
			ref, ok := cdxResolve(a.Ref, purls)
			if !ok {
				d.warnf("%s: affects ref %q matches no component with a purl", s.Vulnerability, a.Ref)
				continue
			}
			c := s
			c.Product = Product{Ref: ref}
			d.Statements = append(d.Statements, c)
		}
	}
	if !analysed {
		return nil, fmt.Errorf("vex: cyclonedx document: no vulnerabilities[].analysis, so no VEX claims")
	}
	return d, d.finish()
}

// cdxStatement normalizes one analysed vulnerability, without its product.
func cdxStatement(v cdxVuln, docTime time.Time) (Statement, bool, error) {
	a := v.Analysis
	status, ok := cycloneDXStatus[a.State]
	if !ok {
		return Statement{}, false, nil
	}
	s := Statement{
		Vulnerability:       NormalizeVulnID(v.ID),
		Status:              status,
		SourceStatus:        a.State,
		SourceJustification: a.Justification,
		Timestamp:           docTime,
	}
	if s.Vulnerability == "" {
		return Statement{}, false, fmt.Errorf("no id")
	}
	for _, r := range v.References {
		s.Aliases = append(s.Aliases, NormalizeVulnID(r.ID))
	}
	if status == StatusNotAffected && a.State != "false_positive" {
		s.Justification = cycloneDXJustification[a.Justification]
	}
	// detail explains why for not_affected and in_triage, and what to do otherwise.
	detail := strings.TrimSpace(a.Detail)
	switch status {
	case StatusNotAffected, StatusUnderInvestigation:
		s.ImpactStatement = detail
	default:
		s.ActionStatement = detail
		if detail == "" {
			s.ActionStatement = strings.Join(a.Response, ", ")
		}
	}
	for _, ts := range []string{a.LastUpdated, a.FirstIssued} {
		t, err := parseTime(ts)
		if err != nil {
			return Statement{}, false, err
		}
		if !t.IsZero() {
			s.Timestamp = t
			break
		}
	}
	return s, true, nil
}

func (b *cdxBOM) author() string {
	for _, n := range []*cdxNamed{b.Metadata.Manufacturer, b.Metadata.Supplier, b.Metadata.Manufacture} {
		if n != nil && n.Name != "" {
			return n.Name
		}
	}
	if len(b.Metadata.Authors) > 0 {
		return b.Metadata.Authors[0].Name
	}
	return ""
}

// purlsByRef maps every bom-ref (metadata component and nested components)
// to its purl.
func (b *cdxBOM) purlsByRef() map[string]string {
	out := map[string]string{}
	var walk func([]cdxComp, int)
	walk = func(cs []cdxComp, depth int) {
		if depth > maxBranchDepth {
			return
		}
		for _, c := range cs {
			if c.BOMRef != "" && c.PURL != "" {
				out[c.BOMRef] = NormalizeRef(c.PURL)
			}
			walk(c.Components, depth+1)
		}
	}
	if b.Metadata.Component != nil {
		walk([]cdxComp{*b.Metadata.Component}, 0)
	}
	walk(b.Components, 0)
	return out
}

// cdxResolve resolves a bom-ref, the fragment of a BOM-Link
// (urn:cdx:serial/version#bom-ref), or a ref that is itself a purl.
func cdxResolve(ref string, purls map[string]string) (string, bool) {
	if p, ok := purls[ref]; ok {
		return p, true
	}
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if p, ok := purls[frag]; ok {
				return p, true
			}
		}
	}
	if strings.HasPrefix(ref, "pkg:") {
		return NormalizeRef(ref), true
	}
	return "", false
}
