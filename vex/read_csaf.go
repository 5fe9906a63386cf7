package vex

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// ReadCSAF reads a CSAF 2.0 VEX document (or an advisory with product_status).
func ReadCSAF(r io.Reader) ([]Statement, error) {
	d, err := ReadCSAFDocument(r)
	if err != nil {
		return nil, err
	}
	return d.Statements, nil
}

// ReadCSAFDocument is ReadCSAF returning the document record too.
func ReadCSAFDocument(r io.Reader) (*Document, error) {
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return readCSAF(raw)
}

type csafDoc struct {
	Document struct {
		Category  string `json:"category"`
		Publisher struct {
			Name string `json:"name"`
		} `json:"publisher"`
		Tracking struct {
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree     csafProductTree `json:"product_tree"`
	Vulnerabilities []csafVuln      `json:"vulnerabilities"`
}

type csafVuln struct {
	CVE string `json:"cve"`
	IDs []struct {
		Text string `json:"text"`
	} `json:"ids"`
	ProductStatus map[string][]string `json:"product_status"`
	Flags         []struct {
		Label string `json:"label"`
		csafScope
	} `json:"flags"`
	Threats []struct {
		Category string `json:"category"`
		Details  string `json:"details"`
		csafScope
	} `json:"threats"`
	Remediations []struct {
		Details string `json:"details"`
		csafScope
	} `json:"remediations"`
}

// csafScope is the products an element applies to, directly or by group.
type csafScope struct {
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
}

func (s csafScope) covers(id string, groups map[string][]string) bool {
	if slices.Contains(s.ProductIDs, id) {
		return true
	}
	for _, g := range s.GroupIDs {
		if slices.Contains(groups[g], id) {
			return true
		}
	}
	return false
}

func readCSAF(raw []byte) (*Document, error) {
	d, err := newDocument(FormatCSAF, raw)
	if err != nil {
		return nil, err
	}
	var doc csafDoc
	if err := decodeJSON(FormatCSAF, raw, &doc); err != nil {
		return nil, err
	}
	cat := doc.Document.Category
	if cat == "" {
		return nil, fmt.Errorf("vex: csaf document: document.category is missing")
	}
	ts, err := parseTime(doc.Document.Tracking.CurrentReleaseDate)
	if err != nil {
		return nil, fmt.Errorf("vex: csaf document: tracking.current_release_date: %w", err)
	}
	d.Author = doc.Document.Publisher.Name
	products, groups := doc.ProductTree.resolve()
	hasStatus := false
	for vi, v := range doc.Vulnerabilities {
		vuln, aliases := csafVulnID(v)
		if vuln == "" {
			d.warnf("vulnerability %d: no cve or ids", vi)
			continue
		}
		for _, src := range slices.Sorted(maps.Keys(v.ProductStatus)) {
			hasStatus = true
			status, ok := csafStatus[src]
			if !ok {
				continue // "recommended" and unknown categories are not statements
			}
			for _, pid := range v.ProductStatus[src] {
				p, ok := products[pid]
				if !ok {
					d.warnf("%s: product %q has no purl or CPE in product_tree", vuln, pid)
					continue
				}
				s := Statement{Vulnerability: vuln, Aliases: aliases, Product: p, Status: status, SourceStatus: src, Timestamp: ts}
				v.applyDetails(&s, pid, groups)
				d.Statements = append(d.Statements, s)
			}
		}
	}
	if cat != "csaf_vex" && !hasStatus {
		return nil, fmt.Errorf("vex: csaf document: category %q is not csaf_vex and has no product_status", cat)
	}
	return d, d.finish()
}

// applyDetails sets the justification, impact and action statements that
// apply to product pid.
func (v csafVuln) applyDetails(s *Statement, pid string, groups map[string][]string) {
	for _, f := range v.Flags {
		if f.covers(pid, groups) {
			s.SourceJustification = f.Label
			if s.Status == StatusNotAffected {
				s.Justification = openVEXJustification[f.Label]
			}
			break
		}
	}
	var impact, action []string
	for _, t := range v.Threats {
		if t.Category == "impact" && t.covers(pid, groups) {
			impact = append(impact, strings.TrimSpace(t.Details))
		}
	}
	for _, r := range v.Remediations {
		if r.covers(pid, groups) {
			action = append(action, strings.TrimSpace(r.Details))
		}
	}
	s.ImpactStatement = strings.Join(sortedUnique(impact, ""), "\n")
	s.ActionStatement = strings.Join(sortedUnique(action, ""), "\n")
}

// csafVulnID prefers the CVE; other ids become aliases.
func csafVulnID(v csafVuln) (string, []string) {
	var ids []string
	for _, id := range v.IDs {
		ids = append(ids, NormalizeVulnID(id.Text))
	}
	if cve := NormalizeVulnID(v.CVE); cve != "" {
		return cve, ids
	}
	for i, id := range ids {
		if id != "" {
			return id, slices.Delete(slices.Clone(ids), i, i+1)
		}
	}
	return "", nil
}
