package spdx3

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/internal/stellanote"
)

// document is the JSON-LD file: the context and a flat graph.
type document struct {
	Context string `json:"@context"`
	Graph   []any  `json:"@graph"`
}

// creationInfo is the one CreationInfo every element shares (a blank node).
type creationInfo struct {
	Type         string   `json:"type"`
	ID           string   `json:"@id"`
	Created      string   `json:"created"`
	CreatedBy    []string `json:"createdBy"`
	CreatedUsing []string `json:"createdUsing,omitempty"`
	SpecVersion  string   `json:"specVersion"`
}

// element holds the properties of every element kind Stella writes; the
// ones a kind does not have stay empty and are omitted.
type element struct {
	Type               string               `json:"type"`
	SpdxID             string               `json:"spdxId"`
	CreationInfo       string               `json:"creationInfo"`
	Name               string               `json:"name,omitempty"`
	Comment            string               `json:"comment,omitempty"`
	VerifiedUsing      []hash               `json:"verifiedUsing,omitempty"`
	ExternalIdentifier []externalIdentifier `json:"externalIdentifier,omitempty"`
	// SpdxDocument
	ProfileConformance []string `json:"profileConformance,omitempty"`
	RootElement        []string `json:"rootElement,omitempty"`
	Element            []string `json:"element,omitempty"`
	// software_Package
	PackageVersion string `json:"software_packageVersion,omitempty"`
	PackageURL     string `json:"software_packageUrl,omitempty"`
	PrimaryPurpose string `json:"software_primaryPurpose,omitempty"`
	// Relationship
	From             string   `json:"from,omitempty"`
	To               []string `json:"to,omitempty"`
	RelationshipType string   `json:"relationshipType,omitempty"`
	// simplelicensing_LicenseExpression
	LicenseExpression string `json:"simplelicensing_licenseExpression,omitempty"`
}

type hash struct {
	Type      string `json:"type"`
	Algorithm string `json:"algorithm"`
	HashValue string `json:"hashValue"`
}

type externalIdentifier struct {
	Type       string `json:"type"`
	IDType     string `json:"externalIdentifierType"`
	Identifier string `json:"identifier"`
}

// Encode writes d as SPDX 3.0.1 JSON-LD: RFC 8785 canonical bytes and one
// "\n". d is not modified; a normalized copy is encoded.
func Encode(w io.Writer, d *sbom.Document) error {
	doc, err := build(d)
	if err != nil {
		return err
	}
	out, err := canon.Marshal(doc)
	if err != nil {
		return fmt.Errorf("spdx3: encode: %w", err)
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

// builder collects the graph of one document.
type builder struct {
	iri      string // document IRI
	elements []element
	licenses map[string]element // by spdxId
}

func build(in *sbom.Document) (*document, error) {
	d, err := clone(in)
	if err != nil {
		return nil, err
	}
	if err := sbom.Normalize(d); err != nil {
		return nil, fmt.Errorf("spdx3: %w", err)
	}
	md, err := sbom.ModelDigest(d)
	if err != nil {
		return nil, fmt.Errorf("spdx3: model digest: %w", err)
	}
	b := &builder{iri: sbom.DocumentNamespace(md), licenses: map[string]element{}}
	agent, tool := b.iri+"#agent-stella", b.iri+"#tool-stella"
	b.add(element{Type: "SoftwareAgent", SpdxID: agent, Name: cmp.Or(d.Tool.Name, "stella")})
	b.add(element{Type: "Tool", SpdxID: tool, Name: toolName(d.Tool)})

	ids := map[string]string{}
	for i := range d.Components {
		c := &d.Components[i]
		ids[c.Identity()] = b.component(c)
	}
	var roots []string
	if d.Subject != (sbom.Subject{}) {
		subject := b.subject(d.Subject)
		roots = []string{subject}
		b.add(element{Type: "Relationship", SpdxID: b.iri + "#rel-describes", From: b.iri, To: roots, RelationshipType: "describes"})
	}
	for _, dep := range d.Dependencies {
		from, ok := ids[dep.Ref]
		if !ok {
			continue // a dependency of something that is not a package here
		}
		var to []string
		for _, on := range dep.DependsOn {
			if id, ok := ids[on]; ok {
				to = append(to, id)
			}
		}
		if len(to) > 0 {
			slices.Sort(to)
			b.add(element{Type: "Relationship", SpdxID: b.iri + "#rel-depends-" + shortHash(dep.Ref), From: from, To: to, RelationshipType: "dependsOn"})
		}
	}
	for _, l := range b.licenses {
		b.elements = append(b.elements, l)
	}

	slices.SortFunc(b.elements, func(x, y element) int { return strings.Compare(x.SpdxID, y.SpdxID) })
	all := make([]string, 0, len(b.elements))
	for _, e := range b.elements {
		all = append(all, e.SpdxID)
	}
	spdxDoc := element{
		Type: "SpdxDocument", SpdxID: b.iri, CreationInfo: creationID,
		Name:               cmp.Or(d.Subject.Name, "stella-sbom"),
		Comment:            stellanote.Format(stellanote.Document(d)),
		ProfileConformance: []string{"core", "simpleLicensing", "software"},
		RootElement:        roots,
		Element:            all,
	}
	graph := []any{creationInfo{
		Type: "CreationInfo", ID: creationID,
		Created:      d.Timestamp.UTC().Truncate(time.Second).Format(time.RFC3339),
		CreatedBy:    []string{agent},
		CreatedUsing: []string{tool},
		SpecVersion:  specVersion,
	}}
	// "_:…" sorts before "https:…", and the document IRI before its "#…"
	// elements, so the graph stays ordered by id.
	graph = append(graph, spdxDoc)
	for _, e := range b.elements {
		graph = append(graph, e)
	}
	return &document{Context: Context, Graph: graph}, nil
}

func (b *builder) add(e element) {
	e.CreationInfo = creationID
	b.elements = append(b.elements, e)
}

// component adds the package for c and its declared licenses; it returns
// the package's IRI.
func (b *builder) component(c *sbom.Component) string {
	purpose, exact := toPurpose(c.Type)
	id := b.iri + "#pkg-" + shortHash(c.Identity())
	p := element{
		Type: "software_Package", SpdxID: id,
		Name:           cmp.Or(c.Name, c.Identity()),
		PackageVersion: c.Version,
		PackageURL:     c.PURL,
		PrimaryPurpose: purpose,
		Comment:        stellanote.Format(stellanote.Component(c, !exact)),
	}
	for _, h := range c.Hashes {
		if alg, ok := toHashAlgorithm(h.Algorithm); ok {
			p.VerifiedUsing = append(p.VerifiedUsing, hash{Type: "Hash", Algorithm: alg, HashValue: h.Value})
		}
	}
	slices.SortFunc(p.VerifiedUsing, func(x, y hash) int {
		return cmp.Or(strings.Compare(x.Algorithm, y.Algorithm), strings.Compare(x.HashValue, y.HashValue))
	})
	for _, cpe := range c.CPEs {
		typ := "cpe23"
		if strings.HasPrefix(cpe, "cpe:/") {
			typ = "cpe22"
		}
		p.ExternalIdentifier = append(p.ExternalIdentifier, externalIdentifier{Type: "ExternalIdentifier", IDType: typ, Identifier: cpe})
	}
	slices.SortFunc(p.ExternalIdentifier, func(x, y externalIdentifier) int {
		return cmp.Or(strings.Compare(x.IDType, y.IDType), strings.Compare(x.Identifier, y.Identifier))
	})
	b.add(p)
	if to := b.licenseElements(c.Licenses); len(to) > 0 {
		b.add(element{Type: "Relationship", SpdxID: b.iri + "#rel-license-" + shortHash(c.Identity()), From: id, To: to, RelationshipType: "hasDeclaredLicense"})
	}
	return id
}

// licenseElements returns the sorted IRIs of one LicenseExpression element
// per license, adding those not yet in the graph. A free-text license is the
// expression "LicenseRef-…" with the text as the element's name.
func (b *builder) licenseElements(ls []sbom.License) []string {
	var ids []string
	for _, l := range ls {
		expr, name := cmp.Or(l.ID, l.Expression), ""
		if l.ID == "" && l.Expression == "" {
			expr, name = licenseRef(l.Name), l.Name
		}
		if expr == "" {
			continue
		}
		id := b.iri + "#license-" + shortHash(expr+"\n"+name)
		b.licenses[id] = element{Type: "simplelicensing_LicenseExpression", SpdxID: id, CreationInfo: creationID, LicenseExpression: expr, Name: name}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// licenseRef names a free-text license: "LicenseRef-stella-" + 16 hex of its
// sha256, a valid license reference whatever the text.
func licenseRef(name string) string {
	return "LicenseRef-stella-" + shortHash(name)
}

// subject adds the package for the scanned subject and returns its IRI.
func (b *builder) subject(s sbom.Subject) string {
	purpose := map[string]string{"image": "container", "file": "file"}[s.Kind]
	id := b.iri + "#subject"
	b.add(element{
		Type: "software_Package", SpdxID: id,
		Name:           cmp.Or(s.Name, s.Kind),
		PackageVersion: s.Digest,
		PrimaryPurpose: cmp.Or(purpose, "other"),
		Comment:        stellanote.Format(stellanote.Subject(s)),
	})
	return id
}

// toolName is "stella-<version>".
func toolName(t sbom.Tool) string {
	name := cmp.Or(t.Name, "stella")
	if t.Version == "" {
		return name
	}
	return name + "-" + t.Version
}

// clone deep-copies d so that encoding can normalize without touching it.
func clone(d *sbom.Document) (*sbom.Document, error) {
	if d == nil {
		return nil, fmt.Errorf("spdx3: nil document")
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("spdx3: copy document: %w", err)
	}
	var c sbom.Document
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("spdx3: copy document: %w", err)
	}
	return &c, nil
}
