package spdx3

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	packageurl "github.com/package-url/packageurl-go"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/internal/stellanote"
)

// ValidationError names what is wrong with an ingested document.
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return "spdx3: " + e.Msg }

// contextVersions are the SPDX 3 context versions Decode reads.
func contextVersions() []string { return []string{"3.0.0", "3.0.1"} }

// node is one @graph entry, read leniently: single values and lists, plain
// IRIs and {"@id": …} objects are all accepted where JSON-LD allows them.
type node struct {
	Type               string          `json:"type"`
	SpdxID             string          `json:"spdxId"`
	ID                 string          `json:"@id"`
	Name               string          `json:"name"`
	Comment            string          `json:"comment"`
	Created            string          `json:"created"`
	CreatedBy          json.RawMessage `json:"createdBy"`
	CreatedUsing       json.RawMessage `json:"createdUsing"`
	RootElement        json.RawMessage `json:"rootElement"`
	VerifiedUsing      []node          `json:"verifiedUsing"`
	ExternalIdentifier []node          `json:"externalIdentifier"`
	Algorithm          string          `json:"algorithm"`
	HashValue          string          `json:"hashValue"`
	IDType             string          `json:"externalIdentifierType"`
	Identifier         string          `json:"identifier"`
	PackageVersion     string          `json:"software_packageVersion"`
	PackageURL         string          `json:"software_packageUrl"`
	PrimaryPurpose     string          `json:"software_primaryPurpose"`
	From               json.RawMessage `json:"from"`
	To                 json.RawMessage `json:"to"`
	RelationshipType   string          `json:"relationshipType"`
	LicenseExpression  string          `json:"simplelicensing_licenseExpression"`
}

// Decode reads SPDX 3.0.x JSON-LD into a normalized sbom.Document. It checks
// structure only (context, graph, element ids), not the SHACL model. The
// package the document describes becomes the subject; other packages become
// components, identified by purl or "gen:spdx/<name>@<version>".
func Decode(r io.Reader) (*sbom.Document, error) {
	var in struct {
		Context json.RawMessage   `json:"@context"`
		Graph   []json.RawMessage `json:"@graph"`
	}
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, &ValidationError{Msg: "not a JSON object: " + err.Error()}
	}
	if err := checkContext(in.Context); err != nil {
		return nil, err
	}
	if in.Graph == nil {
		return nil, &ValidationError{Msg: "no @graph"}
	}
	nodes := make([]node, 0, len(in.Graph))
	for i, raw := range in.Graph {
		var n node
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, &ValidationError{Msg: fmt.Sprintf("@graph[%d]: %v", i, err)}
		}
		if n.Type == "" {
			return nil, &ValidationError{Msg: fmt.Sprintf("@graph[%d] has no type", i)}
		}
		if n.SpdxID == "" && n.ID == "" {
			return nil, &ValidationError{Msg: fmt.Sprintf("@graph[%d] (%s) has no spdxId", i, n.Type)}
		}
		nodes = append(nodes, n)
	}
	d := fromGraph(nodes)
	if err := sbom.Normalize(d); err != nil {
		return nil, fmt.Errorf("spdx3: %w", err)
	}
	return d, nil
}

// checkContext accepts the SPDX 3.0.x context URL, alone or in a list.
func checkContext(raw json.RawMessage) error {
	var urls []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		urls = []string{one}
	} else if err := json.Unmarshal(raw, &urls); err != nil {
		return &ValidationError{Msg: "no @context naming the SPDX 3 context"}
	}
	for _, u := range urls {
		v, ok := strings.CutPrefix(u, "https://spdx.org/rdf/")
		if !ok {
			continue
		}
		v, ok = strings.CutSuffix(v, "/spdx-context.jsonld")
		if !ok {
			continue
		}
		for _, known := range contextVersions() {
			if v == known {
				return nil
			}
		}
		return &ValidationError{Msg: fmt.Sprintf("unsupported SPDX context version %q (%s)", v, u)}
	}
	return &ValidationError{Msg: fmt.Sprintf("@context %s is not an SPDX 3 context", string(raw))}
}

func fromGraph(nodes []node) *sbom.Document {
	d := &sbom.Document{}
	byID := map[string]*node{}
	var docNode, describes *node
	for i := range nodes {
		n := &nodes[i]
		byID[n.id()] = n
		switch {
		case n.Type == "SpdxDocument" && docNode == nil:
			docNode = n
		case n.Type == "Relationship" && n.RelationshipType == "describes" && describes == nil:
			describes = n
		}
	}
	subjectID := ""
	if docNode != nil {
		notes, _ := stellanote.Parse(docNode.Comment)
		stellanote.ApplyDocument(d, notes)
		if roots := iris(docNode.RootElement); len(roots) == 1 {
			subjectID = roots[0]
		}
	}
	if to := iris(describesTo(describes)); subjectID == "" && len(to) == 1 {
		subjectID = to[0]
	}
	for _, n := range nodes {
		if n.Type == "CreationInfo" {
			if t, err := time.Parse(time.RFC3339, n.Created); err == nil {
				d.Timestamp = t.UTC().Truncate(time.Second)
			}
			d.Tool = toolFrom(n, byID)
			break
		}
	}

	ids := map[string]string{}
	for i := range nodes {
		n := &nodes[i]
		if n.Type != "software_Package" {
			continue
		}
		if n.id() == subjectID {
			d.Subject = subjectFrom(n)
			continue
		}
		c := componentFrom(n, d.Layers, &d.Warnings)
		ids[n.id()] = c.Identity()
		d.Components = append(d.Components, c)
	}
	index := map[string]int{}
	for i, c := range d.Components {
		index[c.Identity()] = i
	}
	for _, n := range nodes {
		if n.Type != "Relationship" {
			continue
		}
		from := ids[first(iris(n.From))]
		if from == "" {
			continue
		}
		switch n.RelationshipType {
		case "dependsOn":
			dep := sbom.Dependency{Ref: from}
			for _, to := range iris(n.To) {
				if id := ids[to]; id != "" {
					dep.DependsOn = append(dep.DependsOn, id)
				}
			}
			d.Dependencies = append(d.Dependencies, dep)
		case "hasDeclaredLicense":
			c := &d.Components[index[from]]
			for _, to := range iris(n.To) {
				if l, ok := byID[to]; ok && l.LicenseExpression != "" {
					c.Licenses = append(c.Licenses, licenseFrom(l))
				}
			}
		}
	}
	return d
}

func (n *node) id() string {
	if n.SpdxID != "" {
		return n.SpdxID
	}
	return n.ID
}

func describesTo(n *node) json.RawMessage {
	if n == nil {
		return nil
	}
	return n.To
}

func subjectFrom(n *node) sbom.Subject {
	s := sbom.Subject{Name: n.Name}
	notes, _ := stellanote.Parse(n.Comment)
	if !stellanote.ApplySubject(&s, notes) {
		s.Kind = "sbom"
		if n.PrimaryPurpose == "container" {
			s.Kind = "image"
		}
		if strings.HasPrefix(n.PackageVersion, "sha256:") {
			s.Digest = n.PackageVersion
		}
	}
	return s
}

func componentFrom(n *node, layers []sbom.Layer, warnings *[]sbom.Warning) sbom.Component {
	c := sbom.Component{Name: n.Name, Version: n.PackageVersion, Type: fromPurpose(n.PrimaryPurpose)}
	purl := n.PackageURL
	for _, x := range n.ExternalIdentifier {
		switch x.IDType {
		case "cpe22", "cpe23":
			c.CPEs = append(c.CPEs, x.Identifier)
		case "packageUrl":
			if purl == "" {
				purl = x.Identifier
			}
		}
	}
	if purl != "" {
		p, err := packageurl.FromString(purl)
		if err != nil {
			*warnings = append(*warnings, sbom.Warning{Code: "spdx3-purl", Message: fmt.Sprintf("package %s: invalid purl %q", n.id(), purl)})
		} else {
			c.PURL = p.ToString()
		}
	}
	for _, h := range n.VerifiedUsing {
		if h.Type == "Hash" && h.HashValue != "" {
			c.Hashes = append(c.Hashes, sbom.Hash{Algorithm: fromHashAlgorithm(h.Algorithm), Value: h.HashValue})
		}
	}
	notes, _ := stellanote.Parse(n.Comment)
	stellanote.ApplyComponent(&c, notes, layers)
	if c.PURL != "" {
		c.Key = ""
	} else if c.Key == "" {
		c.Key = "gen:spdx/" + n.Name + "@" + n.PackageVersion
	}
	return c
}

// licenseFrom reads a LicenseExpression element back: a Stella free-text
// reference gives the name, a single id an ID, anything else an expression.
func licenseFrom(n *node) sbom.License {
	expr := n.LicenseExpression
	switch {
	case strings.HasPrefix(expr, "LicenseRef-stella-") && n.Name != "":
		return sbom.License{Name: n.Name}
	case !strings.ContainsAny(expr, " ()"):
		return sbom.License{ID: expr}
	}
	return sbom.License{Expression: expr}
}

// toolFrom names the generator: the first Tool in createdUsing, else the
// first agent in createdBy; "name-version" splits at "-" before a digit.
func toolFrom(ci node, byID map[string]*node) sbom.Tool {
	for _, list := range []json.RawMessage{ci.CreatedUsing, ci.CreatedBy} {
		for _, id := range iris(list) {
			if n, ok := byID[id]; ok && n.Name != "" {
				return splitTool(n.Name)
			}
		}
	}
	return sbom.Tool{}
}

func splitTool(s string) sbom.Tool {
	for i := 1; i+1 < len(s); i++ {
		if s[i] == '-' && s[i+1] >= '0' && s[i+1] <= '9' {
			return sbom.Tool{Name: s[:i], Version: s[i+1:]}
		}
	}
	return sbom.Tool{Name: s}
}

// iris reads a JSON-LD reference or list of references: strings or objects
// with "@id" or "spdxId". Anything else yields nothing.
func iris(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		items = []json.RawMessage{raw}
	}
	var out []string
	for _, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			out = append(out, s)
			continue
		}
		var obj struct {
			ID     string `json:"@id"`
			SpdxID string `json:"spdxId"`
		}
		if err := json.Unmarshal(it, &obj); err == nil && (obj.ID != "" || obj.SpdxID != "") {
			out = append(out, obj.SpdxID+obj.ID)
		}
	}
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
