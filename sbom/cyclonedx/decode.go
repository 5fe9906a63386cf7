package cyclonedx

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/stella-ops/stella/sbom"
)

// VersionError reports a document whose specVersion this codec cannot read.
type VersionError struct {
	SpecVersion string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("cyclonedx: unsupported specVersion %q (supported: 1.4, 1.5, 1.6, 1.7)", e.SpecVersion)
}

// header is what Decode checks before mapping anything.
type header struct {
	BOMFormat   string          `json:"bomFormat"`
	SpecVersion json.RawMessage `json:"specVersion"`
}

// Decode reads CycloneDX JSON 1.4–1.7 from any tool into a normalized model.
// Unknown fields are ignored; nested components are flattened; a component
// without a purl gets the key "gen:cyclonedx/<name>@<version>" unless it
// carries Stella's own stella:key.
func Decode(r io.Reader) (*sbom.Document, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cyclonedx: read: %w", err)
	}
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("cyclonedx: parse JSON: %w", err)
	}
	if h.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("cyclonedx: bomFormat is %q, want \"CycloneDX\"", h.BOMFormat)
	}
	var sv string
	if err := json.Unmarshal(h.SpecVersion, &sv); err != nil {
		return nil, &VersionError{SpecVersion: string(h.SpecVersion)}
	}
	switch sv {
	case "1.4", "1.5", "1.6", "1.7":
	default:
		return nil, &VersionError{SpecVersion: sv}
	}
	var bom bomView
	if err := json.Unmarshal(raw, &bom); err != nil {
		return nil, fmt.Errorf("cyclonedx: parse %s document: %w", sv, err)
	}
	d := fromBOM(&bom)
	if err := sbom.Normalize(d); err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	return d, nil
}

func fromBOM(bom *bomView) *sbom.Document {
	d := &sbom.Document{}
	refs := map[string]string{} // bom-ref → identity
	if md := bom.Metadata; md != nil {
		if md.Timestamp != "" {
			if t, err := time.Parse(time.RFC3339, md.Timestamp); err == nil {
				d.Timestamp = t.UTC().Truncate(time.Second)
			} else {
				d.Warnings = append(d.Warnings, sbom.Warning{Code: "cyclonedx-timestamp", Message: fmt.Sprintf("metadata.timestamp %q is not RFC 3339", md.Timestamp)})
			}
		}
		d.Tool = md.Tools.first()
		if md.Component != nil {
			d.Subject = subject(md.Component)
			d.Components = appendComponents(d.Components, md.Component.Components, refs)
		}
		documentProperties(d, md.Properties)
	}
	d.Components = appendComponents(d.Components, bom.Components, refs)
	// Dependencies name bom-refs, which other tools do not make equal to the
	// identity; refs to no component are kept as written.
	identity := func(ref string) string {
		if id, ok := refs[ref]; ok {
			return id
		}
		return ref
	}
	for _, dep := range bom.Dependencies {
		sd := sbom.Dependency{Ref: identity(dep.Ref)}
		for _, on := range dep.DependsOn {
			sd.DependsOn = append(sd.DependsOn, identity(on))
		}
		d.Dependencies = append(d.Dependencies, sd)
	}
	firstSeenIndexes(d)
	return d
}

// subject reads metadata.component: Stella's own properties when present,
// otherwise what other tools put there (the image digest as version).
func subject(c *componentView) sbom.Subject {
	s := sbom.Subject{Kind: "sbom", Name: c.Name}
	if strings.HasPrefix(c.Version, "sha256:") {
		s.Digest = c.Version
	}
	for _, p := range c.Properties {
		switch p.Name {
		case PropSubjectKind:
			s.Kind = p.Value
		case PropSubjectDigest:
			s.Digest = p.Value
		case PropSubjectIndex:
			s.IndexDigest = p.Value
		case PropSubjectPlat:
			s.Platform = p.Value
		}
	}
	return s
}

// documentProperties splits metadata.properties into layers, warnings and
// the document's own properties.
func documentProperties(d *sbom.Document, ps []propertyView) {
	layers := map[int]*sbom.Layer{}
	var order []int
	for _, p := range ps {
		if idx, field, ok := layerProperty(p.Name); ok {
			l := layers[idx]
			if l == nil {
				l = &sbom.Layer{Index: idx}
				layers[idx] = l
				order = append(order, idx)
			}
			switch field {
			case "diffID":
				l.DiffID = p.Value
			case "chainID":
				l.ChainID = p.Value
			case "digest":
				l.Digest = p.Value
			}
			continue
		}
		if p.Name == PropWarning {
			code, msg, _ := strings.Cut(p.Value, ": ")
			d.Warnings = append(d.Warnings, sbom.Warning{Code: code, Message: msg})
			continue
		}
		d.Properties = append(d.Properties, sbom.Property{Name: p.Name, Value: p.Value})
	}
	for _, idx := range order {
		d.Layers = append(d.Layers, *layers[idx])
	}
}

// layerProperty parses "stella:layer.<index>.<field>".
func layerProperty(name string) (int, string, bool) {
	rest, ok := strings.CutPrefix(name, propLayerPrefix)
	if !ok {
		return 0, "", false
	}
	num, field, ok := strings.Cut(rest, ".")
	if !ok || (field != "diffID" && field != "chainID" && field != "digest") {
		return 0, "", false
	}
	idx, err := strconv.Atoi(num)
	if err != nil || idx < 0 {
		return 0, "", false
	}
	return idx, field, true
}

// appendComponents maps components and, depth first, their nested ones;
// refs collects each bom-ref's identity.
func appendComponents(out []sbom.Component, cs []componentView, refs map[string]string) []sbom.Component {
	for i := range cs {
		c := fromComponent(&cs[i])
		if cs[i].BOMRef != "" {
			refs[cs[i].BOMRef] = c.Identity()
		}
		out = append(out, c)
		out = appendComponents(out, cs[i].Components, refs)
	}
	return out
}

func fromComponent(c *componentView) sbom.Component {
	out := sbom.Component{PURL: canonicalPURL(c.PURL), Type: c.Type, Name: c.Name, Version: c.Version}
	if out.Type == "" {
		out.Type = "library"
	}
	if c.CPE != "" {
		out.CPEs = append(out.CPEs, c.CPE)
	}
	for _, h := range c.Hashes {
		out.Hashes = append(out.Hashes, sbom.Hash{Algorithm: h.Alg, Value: strings.ToLower(h.Content)})
	}
	for _, l := range c.Licenses {
		switch {
		case l.Expression != "":
			out.Licenses = append(out.Licenses, sbom.License{Expression: l.Expression})
		case l.License != nil && l.License.ID != "":
			out.Licenses = append(out.Licenses, sbom.License{ID: l.License.ID})
		case l.License != nil && l.License.Name != "":
			out.Licenses = append(out.Licenses, sbom.License{Name: l.License.Name})
		}
	}
	var key string
	var introIndex int
	layered := map[string]bool{} // paths that have a layer from stella:layer.location
	for _, p := range c.Properties {
		switch p.Name {
		case PropKey:
			key = p.Value
		case sbom.PropLayerIntroduce:
			out.Introduced = &sbom.LayerRef{DiffID: p.Value}
		case sbom.PropLayerIndex:
			introIndex, _ = strconv.Atoi(p.Value) // lenient: a bad index reads as 0
		case sbom.PropLayerFirstSeen:
			out.FirstSeen = &sbom.LayerRef{DiffID: p.Value}
		case sbom.PropPkgSource:
			out.Source = sourcePackage(out.Source)
			out.Source.Name = p.Value
		case sbom.PropPkgSourceVer:
			out.Source = sourcePackage(out.Source)
			out.Source.Version = p.Value
		case PropFoundBy:
			out.FoundBy = append(out.FoundBy, p.Value)
		case PropCPE:
			out.CPEs = append(out.CPEs, p.Value)
		case PropHash:
			alg, v, _ := strings.Cut(p.Value, ":")
			out.Hashes = append(out.Hashes, sbom.Hash{Algorithm: alg, Value: v})
		case PropLicenseName:
			out.Licenses = append(out.Licenses, sbom.License{Name: p.Value})
		case PropLayerLocation:
			diffID, path, ok := strings.Cut(p.Value, " ")
			if !ok {
				path, diffID = diffID, ""
			}
			out.Locations = append(out.Locations, sbom.Location{Path: path, DiffID: diffID})
			layered[sbom.CleanPath(path)] = true
		default:
			out.Properties = append(out.Properties, sbom.Property{Name: p.Name, Value: p.Value})
		}
	}
	if out.Introduced != nil {
		out.Introduced.Index = introIndex
	}
	if c.Evidence != nil {
		for _, o := range c.Evidence.Occurrences {
			if o.Location != "" && !layered[sbom.CleanPath(o.Location)] {
				out.Locations = append(out.Locations, sbom.Location{Path: o.Location})
			}
		}
	}
	switch {
	case out.PURL != "":
	case key != "":
		out.Key = key
	default:
		name := c.Name
		if c.Group != "" {
			name = c.Group + "/" + name
		}
		out.Key = "gen:cyclonedx/" + name + "@" + c.Version
	}
	return out
}

// canonicalPURL writes a purl in packageurl-go's canonical form, as the
// generator and the SPDX decoder do, so one package has one identity whatever
// tool wrote it. A purl that does not parse is kept as written.
func canonicalPURL(s string) string {
	if s == "" {
		return ""
	}
	p, err := packageurl.FromString(s)
	if err != nil {
		return s
	}
	return p.ToString()
}

// firstSeenIndexes fills FirstSeen indexes from the document's layers; the
// CycloneDX property holds only the diffID.
func firstSeenIndexes(d *sbom.Document) {
	for i := range d.Components {
		fs := d.Components[i].FirstSeen
		if fs == nil {
			continue
		}
		for _, l := range d.Layers {
			if l.DiffID == fs.DiffID {
				fs.Index = l.Index
				break
			}
		}
	}
}

func sourcePackage(s *sbom.SourcePackage) *sbom.SourcePackage {
	if s == nil {
		return &sbom.SourcePackage{}
	}
	return s
}
