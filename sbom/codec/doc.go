// Package codec picks the SBOM codec for a format name or a document: it
// encodes an sbom.Document as CycloneDX 1.7/1.6, SPDX 2.3 or SPDX 3.0.1, and
// decodes CycloneDX 1.4–1.7, SPDX 2.2/2.3 and SPDX 3.0.x, telling which by
// the document's own markers (bomFormat + specVersion, spdxVersion, @context).
//
//	f, err := codec.ParseFormat("cyclonedx-json@1.7")
//	err = codec.Encode(w, doc, f)
package codec
