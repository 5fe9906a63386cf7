package codec

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/cyclonedx"
	"github.com/stella-ops/stella/sbom/spdx"
)

// Encode writes d in format f (see EncodeFormats).
func Encode(w io.Writer, d *sbom.Document, f Format) error {
	switch f {
	case CycloneDXJSON17:
		return cyclonedx.Encode(w, d, cyclonedx.Version17)
	case CycloneDXJSON16:
		return cyclonedx.Encode(w, d, cyclonedx.Version16)
	case SPDXJSON23:
		return spdx.Encode(w, d)
	case SPDXJSON301:
		return encodeSPDX3(w, d)
	}
	return fmt.Errorf("codec: cannot encode format %q (want one of %s)", string(f), joinFormats(EncodeFormats()))
}

// Decode reads an SBOM of any supported format into a normalized model and
// says which format it was.
func Decode(r io.Reader) (*sbom.Document, Format, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, "", fmt.Errorf("codec: read: %w", err)
	}
	f, err := DetectFormat(raw)
	if err != nil {
		return nil, "", err
	}
	var d *sbom.Document
	switch v := string(f); {
	case strings.HasPrefix(v, familyCycloneDX):
		d, err = cyclonedx.Decode(bytes.NewReader(raw))
	case strings.HasPrefix(v, familySPDX+"2."):
		d, err = spdx.Decode(bytes.NewReader(raw))
	default:
		d, err = decodeSPDX3(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, f, err
	}
	return d, f, nil
}
