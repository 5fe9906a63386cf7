// Package sbom is Stella's software bill of materials: one format-neutral
// Document, with its identity rules (purl or key), canonical ordering, digests
// and diff. Generation (syft as a library) lives in sbom/syft; the CycloneDX and
// SPDX codecs live beside this package. The SBOM is an inventory only: it never
// looks up vulnerabilities or decides anything.
//
//	doc, err := sbom.Generate(ctx, sbom.Dir("./rootfs"), sbom.WithCataloger(syft.New()))
//	d := sbom.Diff(oldDoc, doc)
package sbom
