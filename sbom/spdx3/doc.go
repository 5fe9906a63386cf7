// Package spdx3 encodes sbom.Document as SPDX 3.0.1 JSON-LD (Core, Software
// and SimpleLicensing profiles; canonical RFC 8785 JSON and one "\n") and
// decodes SPDX 3.0.x JSON-LD into it with structural checks only.
//
//	err := spdx3.Encode(w, doc)
//	doc, err := spdx3.Decode(r)
//
// Element ids are IRIs under the document IRI, "https://stella-ops.org/spdx/"
// + the model digest hex: "#pkg-" + 16 hex of sha256(identity) for
// components, "#subject" for the scanned image, directory or file. Facts SPDX
// has no property for (layers, evidence locations, catalogers, keys) travel
// as "stella:<name>=<value>" lines in comments, as in package spdx. The SHACL
// check of the output lives in shacl/ (Node.js) and runs from TestSHACL.
package spdx3
