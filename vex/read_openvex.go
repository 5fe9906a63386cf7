package vex

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	openvex "github.com/openvex/go-vex/pkg/vex"
)

// openVEXNamespace prefixes every OpenVEX @context and predicate type.
const openVEXNamespace = "https://openvex.dev/ns"

// ReadOpenVEX reads an OpenVEX document (v0.2.0, or v0.0.1 leniently).
func ReadOpenVEX(r io.Reader) ([]Statement, error) {
	d, err := ReadOpenVEXDocument(r)
	if err != nil {
		return nil, err
	}
	return d.Statements, nil
}

// ReadOpenVEXDocument is ReadOpenVEX returning the document record too.
func ReadOpenVEXDocument(r io.Reader) (*Document, error) {
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	return readOpenVEX(raw)
}

func readOpenVEX(raw []byte) (*Document, error) {
	d, err := newDocument(FormatOpenVEX, raw)
	if err != nil {
		return nil, err
	}
	doc, err := parseOpenVEX(raw)
	if err != nil {
		return nil, err
	}
	if err := d.addOpenVEX(doc, nil); err != nil {
		return nil, err
	}
	return d, d.finish()
}

// parseOpenVEX upgrades v0.0.1 shapes in place, then parses with go-vex.
// Done on the JSON tree rather than by version because real documents mix
// shapes and often carry a bare or wrong @context.
func parseOpenVEX(raw []byte) (*openvex.VEX, error) {
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("vex: openvex document: %w", err)
	}
	ctx, _ := tree["@context"].(string)
	if !strings.HasPrefix(ctx, openVEXNamespace) {
		return nil, fmt.Errorf("vex: openvex document: @context %q is not in %s", ctx, openVEXNamespace)
	}
	stmts, _ := tree["statements"].([]any)
	for _, s := range stmts {
		if st, ok := s.(map[string]any); ok {
			upgradeOpenVEXStatement(st)
		}
	}
	if v, ok := tree["version"].(string); ok { // v0.0.1 wrote the version as a string
		tree["version"] = json.Number(v)
		if _, err := json.Number(v).Int64(); err != nil {
			delete(tree, "version")
		}
	}
	up, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("vex: openvex document: %w", err)
	}
	doc, err := openvex.Parse(up)
	if err != nil {
		return nil, fmt.Errorf("vex: openvex document: %w", err)
	}
	return doc, nil
}

// upgradeOpenVEXStatement turns v0.0.1 string vulnerabilities, string
// products and statement-level subcomponents into v0.2.0 objects.
func upgradeOpenVEXStatement(st map[string]any) {
	if v, ok := st["vulnerability"].(string); ok {
		st["vulnerability"] = map[string]any{"name": v}
	}
	subs := componentList(st["subcomponents"])
	delete(st, "subcomponents")
	products, _ := st["products"].([]any)
	for i, p := range products {
		if id, ok := p.(string); ok {
			p = map[string]any{"@id": id}
			products[i] = p
		}
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		own := componentList(pm["subcomponents"])
		if len(own)+len(subs) > 0 {
			pm["subcomponents"] = append(own, subs...)
		}
	}
}

func componentList(v any) []any {
	list, _ := v.([]any)
	out := make([]any, 0, len(list))
	for _, c := range list {
		if id, ok := c.(string); ok {
			c = map[string]any{"@id": id}
		}
		out = append(out, c)
	}
	return out
}

// addOpenVEX normalizes doc's statements; subjects stand in for the
// products of a statement that names none (attested VEX about its image).
func (d *Document) addOpenVEX(doc *openvex.VEX, subjects []string) error {
	d.Author = doc.Author
	docTime := timeOr(doc.LastUpdated, doc.Timestamp, nil)
	for i, st := range doc.Statements {
		status, ok := openVEXStatus[string(st.Status)]
		if !ok {
			d.warnf("statement %d: status %q is not an OpenVEX status", i, st.Status)
			continue
		}
		vuln := NormalizeVulnID(string(st.Vulnerability.Name))
		if vuln == "" {
			vuln = NormalizeVulnID(st.Vulnerability.ID)
		}
		if vuln == "" {
			d.warnf("statement %d: no vulnerability name", i)
			continue
		}
		base := Statement{
			Vulnerability:       vuln,
			Status:              status,
			SourceStatus:        string(st.Status),
			SourceJustification: string(st.Justification),
			ImpactStatement:     strings.TrimSpace(st.ImpactStatement),
			ActionStatement:     strings.TrimSpace(st.ActionStatement),
		}
		if status == StatusNotAffected {
			base.Justification = openVEXJustification[string(st.Justification)]
		}
		if t := timeOr(st.LastUpdated, st.Timestamp, docTime); t != nil {
			base.Timestamp = *t
		}
		for _, a := range st.Vulnerability.Aliases {
			base.Aliases = append(base.Aliases, NormalizeVulnID(string(a)))
		}
		refs := subjects
		switch {
		case len(st.Products) > 0:
			refs = nil
		case len(subjects) == 0:
			// Kept so the document ingests; an empty ref applies to nothing
			// until a caller binds it to a product.
			d.warnf("statement %d (%s): no products; product ref left empty", i, vuln)
			refs = []string{""}
		}
		for _, ref := range refs {
			s := base
			s.Product = Product{Ref: ref}
			d.Statements = append(d.Statements, s)
		}
		for _, p := range st.Products {
			ref := componentRef(p.Component)
			if ref == "" {
				d.warnf("statement %d (%s): product has no @id, purl or sha-256 hash", i, vuln)
				continue
			}
			s := base
			s.Product = Product{Ref: ref}
			for _, sc := range p.Subcomponents {
				if r := componentRef(sc.Component); r != "" {
					s.Product.Subcomponents = append(s.Product.Subcomponents, r)
				}
			}
			d.Statements = append(d.Statements, s)
		}
	}
	return nil
}

// componentRef prefers the @id, then a purl identifier, then the sha-256 hash.
func componentRef(c openvex.Component) string {
	if c.ID != "" {
		return NormalizeRef(c.ID)
	}
	if p := c.Identifiers[openvex.PURL]; p != "" {
		return NormalizeRef(p)
	}
	if h := c.Hashes[openvex.SHA256]; h != "" {
		return NormalizeRef("sha256:" + string(h))
	}
	return ""
}

func timeOr(a, b, c *time.Time) *time.Time {
	for _, t := range []*time.Time{a, b, c} {
		if t != nil && !t.IsZero() {
			return t
		}
	}
	return nil
}
