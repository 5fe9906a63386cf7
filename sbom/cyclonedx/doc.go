// Package cyclonedx encodes sbom.Document as CycloneDX JSON 1.7 (default) or
// 1.6, decodes CycloneDX JSON 1.4–1.7 from any tool into the model, and
// validates documents against the official schemas, embedded in the binary.
//
// Output is RFC 8785 canonical JSON plus one "\n"; the serialNumber is a
// UUIDv5 of the model digest, so the same model always gives the same bytes.
// What CycloneDX has no field for (keys, layers, source packages) travels in
// stella: properties and decodes back.
//
//	err := cyclonedx.Encode(w, doc, cyclonedx.Version17)
//	doc, err := cyclonedx.Decode(r)
package cyclonedx
