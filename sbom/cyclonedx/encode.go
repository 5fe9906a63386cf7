package cyclonedx

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
)

// Version is a CycloneDX specification version Stella writes.
type Version string

// Versions Stella writes; 1.7 is the default.
const (
	Version17 Version = "1.7"
	Version16 Version = "1.6"
)

// Property names this codec adds beside those of package sbom, so that a
// CycloneDX file decodes back into the same model.
const (
	PropKey           = "stella:key"            // the identity of a component without a purl
	PropFoundBy       = "stella:pkg.foundBy"    // one per cataloger
	PropCPE           = "stella:cpe"            // CPEs after the first (CycloneDX holds one)
	PropLayerLocation = "stella:layer.location" // "<diffID> <path>": the layer holding an evidence file
	PropHash          = "stella:hash"           // "<algorithm>:<value>" the schema cannot hold
	PropLicenseName   = "stella:license.name"   // a named license beside an expression
	PropWarning       = "stella:warning"        // "<code>: <message>"
	PropSubjectKind   = "stella:subject.kind"
	PropSubjectDigest = "stella:subject.digest"
	PropSubjectIndex  = "stella:subject.indexDigest"
	PropSubjectPlat   = "stella:subject.platform"
	// Document layers: stella:layer.<index>.diffID / .chainID / .digest.
	propLayerPrefix = "stella:layer."
)

func specVersion(v Version) (cdx.SpecVersion, error) {
	switch v {
	case Version17, "":
		return cdx.SpecVersion1_7, nil
	case Version16:
		return cdx.SpecVersion1_6, nil
	}
	return 0, fmt.Errorf("cyclonedx: cannot encode specVersion %q (supported: 1.7, 1.6)", string(v))
}

// Encode writes d as CycloneDX JSON of the given version (1.7 when empty):
// RFC 8785 canonical JSON followed by one "\n". d is not modified. The
// serialNumber derives from the model digest, so equal models give equal bytes.
func Encode(w io.Writer, d *sbom.Document, version Version) error {
	sv, err := specVersion(version)
	if err != nil {
		return err
	}
	if d == nil {
		return fmt.Errorf("cyclonedx: encode a nil document")
	}
	n, err := sbom.Normalized(d)
	if err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	md, err := sbom.ModelDigest(n)
	if err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	bom := toBOM(n)
	bom.SerialNumber = sbom.SerialNumber(md)

	var buf bytes.Buffer
	if err := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetEscapeHTML(false).EncodeVersion(bom, sv); err != nil {
		return fmt.Errorf("cyclonedx: encode %s: %w", sv, err)
	}
	out, err := canon.Transform(buf.Bytes())
	if err != nil {
		return fmt.Errorf("cyclonedx: %w", err)
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

func toBOM(d *sbom.Document) *cdx.BOM {
	bom := cdx.NewBOM()
	md := &cdx.Metadata{Component: subjectComponent(d.Subject)}
	if !d.Timestamp.IsZero() {
		md.Timestamp = d.Timestamp.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if d.Tool.Name != "" {
		md.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{
			{Type: cdx.ComponentTypeApplication, Name: d.Tool.Name, Version: d.Tool.Version},
		}}
	}
	props := append([]sbom.Property{}, d.Properties...)
	for _, l := range d.Layers {
		prefix := propLayerPrefix + strconv.Itoa(l.Index) + "."
		props = appendIf(props, prefix+"diffID", l.DiffID)
		props = appendIf(props, prefix+"chainID", l.ChainID)
		props = appendIf(props, prefix+"digest", l.Digest)
	}
	for _, w := range d.Warnings {
		props = append(props, sbom.Property{Name: PropWarning, Value: w.Code + ": " + w.Message})
	}
	md.Properties = properties(props)
	bom.Metadata = md

	comps := make([]cdx.Component, 0, len(d.Components))
	for i := range d.Components {
		comps = append(comps, component(&d.Components[i]))
	}
	bom.Components = &comps

	deps := make([]cdx.Dependency, 0, len(d.Dependencies))
	for _, dep := range d.Dependencies {
		cd := cdx.Dependency{Ref: dep.Ref}
		if len(dep.DependsOn) > 0 {
			on := append([]string{}, dep.DependsOn...)
			cd.Dependencies = &on
		}
		deps = append(deps, cd)
	}
	if len(deps) > 0 {
		bom.Dependencies = &deps
	}
	return bom
}

// subjectComponent describes what was scanned as metadata.component.
func subjectComponent(s sbom.Subject) *cdx.Component {
	if s.Name == "" && s.Digest == "" {
		return nil
	}
	c := &cdx.Component{BOMRef: "stella:subject", Type: cdx.ComponentTypeFile, Name: s.Name}
	switch s.Kind {
	case "image":
		c.Type = cdx.ComponentTypeContainer
		c.Version = s.Digest // where other tools put the image digest too
	case "sbom":
		c.Type = cdx.ComponentTypeApplication
	}
	if s.Digest != "" {
		c.BOMRef = s.Digest
	}
	c.Properties = properties(appendIf(appendIf(appendIf(appendIf(nil,
		PropSubjectKind, s.Kind), PropSubjectDigest, s.Digest), PropSubjectIndex, s.IndexDigest), PropSubjectPlat, s.Platform))
	return c
}

// component projects one model component; whatever CycloneDX has no field
// for goes into stella: properties.
func component(c *sbom.Component) cdx.Component {
	out := cdx.Component{
		BOMRef:     c.Identity(),
		Type:       componentType(c.Type),
		Name:       c.Name,
		Version:    c.Version,
		PackageURL: c.PURL,
	}
	props := append([]sbom.Property{}, c.Properties...)
	props = appendIf(props, PropKey, c.Key)
	if c.Introduced != nil {
		props = append(props,
			sbom.Property{Name: sbom.PropLayerIntroduce, Value: c.Introduced.DiffID},
			sbom.Property{Name: sbom.PropLayerIndex, Value: strconv.Itoa(c.Introduced.Index)})
	}
	if c.FirstSeen != nil {
		props = appendIf(props, sbom.PropLayerFirstSeen, c.FirstSeen.DiffID)
	}
	if c.Source != nil {
		props = appendIf(props, sbom.PropPkgSource, c.Source.Name)
		props = appendIf(props, sbom.PropPkgSourceVer, c.Source.Version)
	}
	for _, f := range c.FoundBy {
		props = appendIf(props, PropFoundBy, f)
	}
	if len(c.CPEs) > 0 {
		out.CPE = c.CPEs[0]
		for _, cpe := range c.CPEs[1:] {
			props = append(props, sbom.Property{Name: PropCPE, Value: cpe})
		}
	}

	var hashes []cdx.Hash
	for _, h := range c.Hashes {
		if alg, ok := hashAlgorithm(h); ok {
			hashes = append(hashes, cdx.Hash{Algorithm: alg, Value: h.Value})
		} else {
			props = append(props, sbom.Property{Name: PropHash, Value: h.Algorithm + ":" + h.Value})
		}
	}
	if len(hashes) > 0 {
		out.Hashes = &hashes
	}

	lic, names := licenses(c.Licenses)
	out.Licenses = lic
	for _, n := range names {
		props = append(props, sbom.Property{Name: PropLicenseName, Value: n})
	}

	var occ []cdx.EvidenceOccurrence
	for i, l := range c.Locations {
		if i == 0 || c.Locations[i-1].Path != l.Path { // sorted by path: one occurrence per path
			occ = append(occ, cdx.EvidenceOccurrence{Location: l.Path})
		}
		if l.DiffID != "" {
			props = append(props, sbom.Property{Name: PropLayerLocation, Value: l.DiffID + " " + l.Path})
		}
	}
	if len(occ) > 0 {
		out.Evidence = &cdx.Evidence{Occurrences: &occ}
	}
	out.Properties = properties(props)
	return out
}

// componentType keeps a CycloneDX type and maps anything else to library,
// since the schema accepts only its own enumeration.
func componentType(t string) cdx.ComponentType {
	switch ct := cdx.ComponentType(t); ct {
	case cdx.ComponentTypeApplication, cdx.ComponentTypeFramework, cdx.ComponentTypeLibrary,
		cdx.ComponentTypeContainer, cdx.ComponentTypePlatform, cdx.ComponentTypeOS,
		cdx.ComponentTypeDevice, cdx.ComponentTypeDeviceDriver, cdx.ComponentTypeFirmware,
		cdx.ComponentTypeFile, cdx.ComponentTypeMachineLearningModel, cdx.ComponentTypeData,
		cdx.ComponentTypeCryptographicAsset:
		return ct
	}
	return cdx.ComponentTypeLibrary
}

// hashAlgorithm maps a model hash to a CycloneDX one when the 1.6 and 1.7
// schemas both accept its name and the value has that algorithm's length.
func hashAlgorithm(h sbom.Hash) (cdx.HashAlgorithm, bool) {
	var want int
	switch alg := cdx.HashAlgorithm(h.Algorithm); alg {
	case cdx.HashAlgoMD5:
		want = 32
	case cdx.HashAlgoSHA1:
		want = 40
	case cdx.HashAlgoSHA256, cdx.HashAlgoSHA3_256, cdx.HashAlgoBlake2b_256, cdx.HashAlgoBlake3:
		want = 64
	case cdx.HashAlgoSHA384, cdx.HashAlgoSHA3_384, cdx.HashAlgoBlake2b_384:
		want = 96
	case cdx.HashAlgoSHA512, cdx.HashAlgoSHA3_512, cdx.HashAlgoBlake2b_512:
		want = 128
	default:
		return "", false
	}
	return cdx.HashAlgorithm(h.Algorithm), len(h.Value) == want && isHex(h.Value)
}

func isHex(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F')
	}) < 0
}

// licenses builds the schema's license choice: a list of ids and names, or a
// single expression. When the model holds expressions, all expressions and
// ids are joined with AND into one, and names come back to be kept as
// properties (an expression cannot hold free text).
func licenses(ls []sbom.License) (*cdx.Licenses, []string) {
	if len(ls) == 0 {
		return nil, nil
	}
	var terms, names []string
	hasExpr := false
	for _, l := range ls {
		hasExpr = hasExpr || l.Expression != ""
	}
	out := cdx.Licenses{}
	for _, l := range ls {
		switch {
		case hasExpr && l.Expression != "":
			terms = append(terms, l.Expression)
		case hasExpr && l.ID != "":
			terms = append(terms, l.ID)
		case hasExpr:
			names = append(names, l.Name)
		case l.ID != "":
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: l.ID}})
		case l.Name != "":
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l.Name}})
		}
	}
	if hasExpr {
		if len(terms) > 1 {
			for i, t := range terms {
				if strings.ContainsRune(t, ' ') {
					terms[i] = "(" + t + ")"
				}
			}
		}
		out = cdx.Licenses{{Expression: strings.Join(terms, " AND ")}}
	}
	if len(out) == 0 {
		return nil, names
	}
	return &out, names
}

// properties sorts by name then value, drops duplicates, and returns nil for
// none, so that no empty array is written.
func properties(ps []sbom.Property) *[]cdx.Property {
	if len(ps) == 0 {
		return nil
	}
	out := make([]cdx.Property, len(ps))
	for i, p := range ps {
		out[i] = cdx.Property{Name: p.Name, Value: p.Value}
	}
	slices.SortFunc(out, func(a, b cdx.Property) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
	out = slices.Compact(out)
	return &out
}

func appendIf(ps []sbom.Property, name, value string) []sbom.Property {
	if value == "" {
		return ps
	}
	return append(ps, sbom.Property{Name: name, Value: value})
}
