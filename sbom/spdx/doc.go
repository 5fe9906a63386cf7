// Package spdx encodes sbom.Document as SPDX 2.3 JSON (canonical, RFC 8785,
// one trailing newline), decodes SPDX 2.2 and 2.3 JSON into it, and validates
// documents against the SPDX 2.3 JSON schema.
//
//	err := spdx.Encode(w, doc)
//	doc, err := spdx.Decode(r)
//
// SPDX 2.3 has no field for layer attribution, evidence locations, catalogers,
// Stella keys or image layers. They travel as "stella:<name>=<value>" lines in
// the package comment (components and the subject) and the document comment
// (image layers, document properties, warnings), written and read by
// sbom/internal/stellanote, which package spdx3 shares.
// Package SPDXIDs are "SPDXRef-Pkg-" + 16 hex of sha256(identity); the
// scanned subject is the package "SPDXRef-Subject" that the document DESCRIBES.
package spdx
