package spdx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	packageurl "github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/internal/stellanote"
)

// Versions Decode accepts. SPDX 2.2 JSON has the same shape for every field
// Stella reads, so both are read through the 2.3 model.
const (
	Version22 = "SPDX-2.2"
	Version23 = "SPDX-2.3"
)

// ValidationError names what is wrong with an ingested document.
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return "spdx: " + e.Msg }

// Decode reads SPDX 2.2 or 2.3 JSON into a normalized sbom.Document. Unknown
// fields are ignored. The package the document DESCRIBES becomes the
// subject; every other package becomes a component, identified by its purl
// or, without one, by the key "gen:spdx/<name>@<version>".
func Decode(r io.Reader) (*sbom.Document, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("spdx: read: %w", err)
	}
	var head struct {
		SPDXVersion *string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, &ValidationError{Msg: "not JSON: " + err.Error()}
	}
	switch {
	case head.SPDXVersion == nil:
		return nil, &ValidationError{Msg: "no spdxVersion: not an SPDX 2 JSON document"}
	case *head.SPDXVersion != Version22 && *head.SPDXVersion != Version23:
		return nil, &ValidationError{Msg: fmt.Sprintf("unsupported spdxVersion %q (want %s or %s)", *head.SPDXVersion, Version22, Version23)}
	}
	in, err := unmarshal(raw)
	if err != nil {
		return nil, &ValidationError{Msg: "decode " + *head.SPDXVersion + ": " + err.Error()}
	}
	d, err := fromSPDX(in)
	if err != nil {
		return nil, err
	}
	if err := sbom.Normalize(d); err != nil {
		return nil, fmt.Errorf("spdx: %w", err)
	}
	return d, nil
}

// unmarshal reads raw through the tools-golang model. Its UnmarshalJSON
// methods dereference list entries without checking for null, so a panic
// there is turned into an error: bad input must never crash the caller.
func unmarshal(raw []byte) (doc *v2_3.Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("malformed document (%v)", r)
		}
	}()
	var in v2_3.Document
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&in); err != nil {
		return nil, err
	}
	return &in, nil
}

func fromSPDX(in *v2_3.Document) (*sbom.Document, error) {
	d := &sbom.Document{}
	docNotes, _ := stellanote.Parse(in.DocumentComment)
	stellanote.ApplyDocument(d, docNotes)
	if ci := in.CreationInfo; ci != nil {
		if ci.Created != "" {
			t, err := time.Parse(time.RFC3339, ci.Created)
			if err != nil {
				d.Warnings = append(d.Warnings, sbom.Warning{Code: "spdx-created", Message: fmt.Sprintf("creationInfo.created %q is not RFC 3339", ci.Created)})
			}
			d.Timestamp = t.UTC().Truncate(time.Second)
		}
		d.Tool = toolFrom(ci.Creators)
	}

	described := describedPackage(in)
	names := map[string]string{}
	for _, o := range in.OtherLicenses {
		if o != nil {
			names[o.LicenseIdentifier] = firstNonEmpty(o.LicenseName, o.ExtractedText, o.LicenseIdentifier)
		}
	}
	ids := map[common.ElementID]string{}
	for _, p := range in.Packages {
		if p == nil {
			continue
		}
		if p.PackageSPDXIdentifier == described {
			d.Subject = subjectFrom(p)
			continue
		}
		c := componentFrom(p, names, d.Layers, &d.Warnings)
		ids[p.PackageSPDXIdentifier] = c.Identity()
		d.Components = append(d.Components, c)
	}
	for _, rel := range in.Relationships {
		a, b := ids[rel.RefA.ElementRefID], ids[rel.RefB.ElementRefID]
		if a == "" || b == "" || rel.RefA.DocumentRefID != "" || rel.RefB.DocumentRefID != "" {
			continue
		}
		switch rel.Relationship {
		case common.TypeRelationshipDependsOn:
			d.Dependencies = append(d.Dependencies, sbom.Dependency{Ref: a, DependsOn: []string{b}})
		case common.TypeRelationshipDependencyOf:
			d.Dependencies = append(d.Dependencies, sbom.Dependency{Ref: b, DependsOn: []string{a}})
		}
	}
	return d, nil
}

// describedPackage is the one package the document DESCRIBES; "" when it
// describes none or several.
func describedPackage(in *v2_3.Document) common.ElementID {
	var found []common.ElementID
	for _, rel := range in.Relationships {
		switch {
		case rel.Relationship == common.TypeRelationshipDescribe && rel.RefA.ElementRefID == in.SPDXIdentifier:
			found = append(found, rel.RefB.ElementRefID)
		case rel.Relationship == common.TypeRelationshipDescribeBy && rel.RefB.ElementRefID == in.SPDXIdentifier:
			found = append(found, rel.RefA.ElementRefID)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

func subjectFrom(p *v2_3.Package) sbom.Subject {
	s := sbom.Subject{Name: p.PackageName}
	notes, _ := stellanote.Parse(p.PackageComment)
	if !stellanote.ApplySubject(&s, notes) {
		s.Kind = "sbom"
		if strings.EqualFold(p.PrimaryPackagePurpose, "CONTAINER") {
			s.Kind = "image"
		}
		if strings.HasPrefix(p.PackageVersion, "sha256:") {
			s.Digest = p.PackageVersion
		}
	}
	return s
}

func componentFrom(p *v2_3.Package, licenseNames map[string]string, layers []sbom.Layer, warnings *[]sbom.Warning) sbom.Component {
	c := sbom.Component{
		Name:    p.PackageName,
		Version: p.PackageVersion,
		Type:    fromPurpose(p.PrimaryPackagePurpose),
	}
	for _, ref := range p.PackageExternalReferences {
		if ref == nil {
			continue
		}
		switch {
		case ref.RefType == common.TypePackageManagerPURL && c.PURL == "":
			purl, err := packageurl.FromString(ref.Locator)
			if err != nil {
				*warnings = append(*warnings, sbom.Warning{Code: "spdx-purl", Message: fmt.Sprintf("package %s: invalid purl %q", p.PackageSPDXIdentifier, ref.Locator)})
				continue
			}
			c.PURL = purl.ToString()
		case ref.RefType == common.TypeSecurityCPE23Type || ref.RefType == common.TypeSecurityCPE22Type:
			c.CPEs = append(c.CPEs, ref.Locator)
		}
	}
	for _, cs := range p.PackageChecksums {
		c.Hashes = append(c.Hashes, sbom.Hash{Algorithm: fromSPDXAlgorithm(string(cs.Algorithm)), Value: cs.Value})
	}
	c.Licenses = licensesFrom(p.PackageLicenseDeclared, licenseNames)
	if len(c.Licenses) == 0 {
		c.Licenses = licensesFrom(p.PackageLicenseConcluded, licenseNames)
	}
	notes, _ := stellanote.Parse(p.PackageComment)
	stellanote.ApplyComponent(&c, notes, layers)
	if c.PURL == "" && c.Key == "" {
		c.Key = "gen:spdx/" + p.PackageName + "@" + p.PackageVersion
	}
	if c.PURL != "" {
		c.Key = ""
	}
	return c
}

// toolFrom reads the first "Tool: name-version" creator; the version starts
// at the first "-" followed by a digit.
func toolFrom(creators []common.Creator) sbom.Tool {
	for _, cr := range creators {
		if cr.CreatorType != "Tool" {
			continue
		}
		s := cr.Creator
		for i := 1; i+1 < len(s); i++ {
			if s[i] == '-' && s[i+1] >= '0' && s[i+1] <= '9' {
				return sbom.Tool{Name: s[:i], Version: s[i+1:]}
			}
		}
		return sbom.Tool{Name: s}
	}
	return sbom.Tool{}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
