package codec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Format names an SBOM format and version, as the --format flag spells it.
// Decode reports ingested formats the same way (e.g. "cyclonedx-json@1.4").
type Format string

// Formats Stella writes.
const (
	CycloneDXJSON17 Format = "cyclonedx-json@1.7"
	CycloneDXJSON16 Format = "cyclonedx-json@1.6"
	SPDXJSON23      Format = "spdx-json@2.3"
	SPDXJSON301     Format = "spdx-json@3.0.1"
)

// Family prefixes of a Format.
const (
	familyCycloneDX = "cyclonedx-json@"
	familySPDX      = "spdx-json@"
)

// EncodeFormats lists the formats Encode writes, the default first.
func EncodeFormats() []Format {
	return []Format{CycloneDXJSON17, CycloneDXJSON16, SPDXJSON23, SPDXJSON301}
}

// ParseFormat reads a format name. "cyclonedx-json" and "spdx-json" without
// a version mean the newest of each that Stella writes in full (1.7, 2.3).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	switch f {
	case "cyclonedx-json", "cyclonedx":
		return CycloneDXJSON17, nil
	case "spdx-json", "spdx":
		return SPDXJSON23, nil
	case CycloneDXJSON17, CycloneDXJSON16, SPDXJSON23, SPDXJSON301:
		return f, nil
	}
	return "", fmt.Errorf("codec: unknown SBOM format %q (want one of %s)", s, joinFormats(EncodeFormats()))
}

func joinFormats(fs []Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// sniff holds the markers that tell SBOM formats apart.
type sniff struct {
	BOMFormat   string          `json:"bomFormat"`
	SpecVersion json.RawMessage `json:"specVersion"`
	SPDXVersion string          `json:"spdxVersion"`
	Context     json.RawMessage `json:"@context"`
}

// DetectFormat tells the format of an SBOM from its content: bomFormat
// "CycloneDX" plus specVersion, SPDX 2 spdxVersion, or an SPDX 3 @context.
// The version is reported as written; whether it is supported is for the
// decoder to say.
func DetectFormat(raw []byte) (Format, error) {
	var s sniff
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("codec: not a JSON SBOM: %w", err)
	}
	switch {
	case s.BOMFormat == "CycloneDX":
		var v string
		if err := json.Unmarshal(s.SpecVersion, &v); err != nil || v == "" {
			return "", fmt.Errorf("codec: CycloneDX document without a string specVersion (got %s)", string(s.SpecVersion))
		}
		return Format(familyCycloneDX + v), nil
	case s.SPDXVersion != "":
		v, ok := strings.CutPrefix(s.SPDXVersion, "SPDX-")
		if !ok || !strings.HasPrefix(v, "2.") {
			return "", fmt.Errorf("codec: unsupported spdxVersion %q (want SPDX-2.x)", s.SPDXVersion)
		}
		return Format(familySPDX + v), nil
	case len(s.Context) > 0:
		if v := spdx3Version(s.Context); v != "" {
			return Format(familySPDX + v), nil
		}
		return "", fmt.Errorf("codec: JSON-LD @context %s is not an SPDX 3 context", string(s.Context))
	}
	return "", fmt.Errorf("codec: cannot tell the SBOM format: no bomFormat, spdxVersion or @context")
}

// spdx3Version finds the model version in an SPDX 3 context IRI, such as
// https://spdx.org/rdf/3.0.1/spdx-context.jsonld, in a string or an array.
func spdx3Version(ctx json.RawMessage) string {
	m := regexp.MustCompile(`spdx\.org/rdf/(3\.[0-9]+(?:\.[0-9]+)?)/`).FindSubmatch(ctx)
	if m == nil {
		return ""
	}
	return string(m[1])
}
