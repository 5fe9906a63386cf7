// Package stellanote carries the Stella facts that SPDX has no field for
// (layer attribution, evidence locations, catalogers, identity keys, image
// layers) as "stella:<name>=<value>" lines in an element's comment, so that
// SPDX 2.3 and SPDX 3 documents round-trip through sbom.Document.
//
//	comment := stellanote.Format(stellanote.Component(&c, false))
//	notes, _ := stellanote.Parse(comment)
package stellanote
