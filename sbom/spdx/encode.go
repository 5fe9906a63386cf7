package spdx

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/internal/stellanote"
)

// Encode writes d as SPDX 2.3 JSON: RFC 8785 canonical bytes and one "\n".
// d is not modified; a normalized copy is encoded, so the order of d's
// slices never shows in the output.
func Encode(w io.Writer, d *sbom.Document) error {
	doc, err := Build(d)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("spdx: encode: %w", err)
	}
	out, err := canon.Transform(raw)
	if err != nil {
		return fmt.Errorf("spdx: encode: %w", err)
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

// Build projects d onto the tools-golang SPDX 2.3 model, every list sorted.
func Build(d *sbom.Document) (*v2_3.Document, error) {
	d, err := clone(d)
	if err != nil {
		return nil, err
	}
	if err := sbom.Normalize(d); err != nil {
		return nil, fmt.Errorf("spdx: %w", err)
	}
	ns, err := documentNamespace(d)
	if err != nil {
		return nil, err
	}
	doc := &v2_3.Document{
		SPDXVersion:       v2_3.Version,
		DataLicense:       v2_3.DataLicense,
		SPDXIdentifier:    documentID,
		DocumentName:      cmp.Or(d.Subject.Name, "stella-sbom"),
		DocumentNamespace: ns,
		DocumentComment:   stellanote.Format(stellanote.Document(d)),
		CreationInfo: &v2_3.CreationInfo{
			Created:  d.Timestamp.UTC().Truncate(time.Second).Format(time.RFC3339),
			Creators: []common.Creator{{CreatorType: "Tool", Creator: toolName(d.Tool)}},
		},
	}
	ids := map[string]common.ElementID{}
	licenseTexts := map[string]*v2_3.OtherLicense{}
	for i := range d.Components {
		c := &d.Components[i]
		p, others := componentPackage(c)
		ids[c.Identity()] = p.PackageSPDXIdentifier
		doc.Packages = append(doc.Packages, p)
		for _, o := range others {
			licenseTexts[o.LicenseIdentifier] = o
		}
	}
	if d.Subject != (sbom.Subject{}) {
		doc.Packages = append(doc.Packages, subjectPackage(d.Subject))
		doc.Relationships = append(doc.Relationships, relationship(documentID, common.TypeRelationshipDescribe, subjectID))
	}
	for _, dep := range d.Dependencies {
		from, ok := ids[dep.Ref]
		if !ok {
			continue // a dependency of something that is not a package here
		}
		for _, on := range dep.DependsOn {
			if to, ok := ids[on]; ok {
				doc.Relationships = append(doc.Relationships, relationship(from, common.TypeRelationshipDependsOn, to))
			}
		}
	}
	for _, o := range licenseTexts {
		doc.OtherLicenses = append(doc.OtherLicenses, o)
	}
	sortDocument(doc)
	return doc, nil
}

// toolName is the only creator: "stella-<version>".
func toolName(t sbom.Tool) string {
	name := cmp.Or(t.Name, "stella")
	if t.Version == "" {
		return name
	}
	return name + "-" + t.Version
}

func componentPackage(c *sbom.Component) (*v2_3.Package, []*v2_3.OtherLicense) {
	purpose, exact := toPurpose(c.Type)
	declared, others := declaredLicense(c.Licenses)
	p := &v2_3.Package{
		PackageName:             cmp.Or(c.Name, c.Identity()),
		PackageSPDXIdentifier:   common.ElementID(strings.TrimPrefix(packageID(c.Identity()), "SPDXRef-")),
		PackageVersion:          c.Version,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  declared,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   purpose,
		PackageComment:          stellanote.Format(stellanote.Component(c, !exact)),
	}
	for _, h := range c.Hashes {
		if alg, ok := toSPDXAlgorithm(h.Algorithm); ok {
			p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: common.ChecksumAlgorithm(alg), Value: h.Value})
		}
	}
	if c.PURL != "" {
		p.PackageExternalReferences = append(p.PackageExternalReferences,
			&v2_3.PackageExternalReference{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: c.PURL})
	}
	for _, cpe := range c.CPEs {
		typ := common.TypeSecurityCPE23Type
		if strings.HasPrefix(cpe, "cpe:/") {
			typ = common.TypeSecurityCPE22Type
		}
		p.PackageExternalReferences = append(p.PackageExternalReferences,
			&v2_3.PackageExternalReference{Category: common.CategorySecurity, RefType: typ, Locator: cpe})
	}
	return p, others
}

// subjectPackage is the scanned image, directory or file that the document
// describes. Its identity is not a package identity, so its id is fixed.
func subjectPackage(s sbom.Subject) *v2_3.Package {
	purpose := map[string]string{"image": "CONTAINER", "file": "FILE"}[s.Kind]
	return &v2_3.Package{
		PackageName:             cmp.Or(s.Name, s.Kind),
		PackageSPDXIdentifier:   common.ElementID(strings.TrimPrefix(subjectID, "SPDXRef-")),
		PackageVersion:          s.Digest,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   cmp.Or(purpose, "OTHER"),
		PackageComment:          stellanote.Format(stellanote.Subject(s)),
	}
}

func relationship(from common.ElementID, typ string, to common.ElementID) *v2_3.Relationship {
	return &v2_3.Relationship{
		RefA:         common.DocElementID{ElementRefID: trimRef(from)},
		RefB:         common.DocElementID{ElementRefID: trimRef(to)},
		Relationship: typ,
	}
}

func trimRef(id common.ElementID) common.ElementID {
	return common.ElementID(strings.TrimPrefix(string(id), "SPDXRef-"))
}

// sortDocument orders every list by its declared key: packages by SPDXID,
// checksums by algorithm then value, external refs by category, type and
// locator, relationships by element, type and related element, extracted
// licenses by id.
func sortDocument(doc *v2_3.Document) {
	slices.SortFunc(doc.Packages, func(a, b *v2_3.Package) int {
		return strings.Compare(string(a.PackageSPDXIdentifier), string(b.PackageSPDXIdentifier))
	})
	for _, p := range doc.Packages {
		slices.SortFunc(p.PackageChecksums, func(a, b common.Checksum) int {
			return cmp.Or(strings.Compare(string(a.Algorithm), string(b.Algorithm)), strings.Compare(a.Value, b.Value))
		})
		slices.SortFunc(p.PackageExternalReferences, func(a, b *v2_3.PackageExternalReference) int {
			return cmp.Or(strings.Compare(a.Category, b.Category), strings.Compare(a.RefType, b.RefType), strings.Compare(a.Locator, b.Locator))
		})
	}
	slices.SortFunc(doc.Relationships, func(a, b *v2_3.Relationship) int {
		return cmp.Or(strings.Compare(string(a.RefA.ElementRefID), string(b.RefA.ElementRefID)),
			strings.Compare(a.Relationship, b.Relationship),
			strings.Compare(string(a.RefB.ElementRefID), string(b.RefB.ElementRefID)))
	})
	doc.Relationships = slices.CompactFunc(doc.Relationships, func(a, b *v2_3.Relationship) bool {
		return a.RefA == b.RefA && a.Relationship == b.Relationship && a.RefB == b.RefB
	})
	slices.SortFunc(doc.OtherLicenses, func(a, b *v2_3.OtherLicense) int {
		return strings.Compare(a.LicenseIdentifier, b.LicenseIdentifier)
	})
}
