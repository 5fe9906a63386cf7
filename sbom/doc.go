// Package sbom is Stella's software bill of materials: one format-neutral
// Document, with its identity rules (purl or key), canonical ordering, digests
// and diff, and Generate, which turns what a Source found into a Document,
// attributing the components of an image to its layers. Dir and File are
// sources here; container images are sources of sbom/oci. Cataloging (syft
// as a library) lives in sbom/syft; the CycloneDX and SPDX codecs live beside
// this package. The SBOM is an inventory only: it never looks up
// vulnerabilities or decides anything.
//
//	c, err := syft.New() // package sbom/syft
//	doc, err := sbom.Generate(ctx, sbom.Dir("./rootfs"), sbom.WithCataloger(c))
//	d := sbom.Diff(oldDoc, doc) // d.Changes: packages added, removed or changed
package sbom
