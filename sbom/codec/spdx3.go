package codec

import (
	"io"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/spdx3"
)

// SPDX 3 dispatch, kept apart so the codec switch reads the same for every
// format family.

func encodeSPDX3(w io.Writer, d *sbom.Document) error { return spdx3.Encode(w, d) }

func decodeSPDX3(r io.Reader) (*sbom.Document, error) { return spdx3.Decode(r) }
