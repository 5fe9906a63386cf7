package sbom

import (
	"fmt"
	"strings"

	"github.com/stella-ops/stella/attest"
)

// In-toto predicate types of SBOM attestations.
const (
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	PredicateSPDX      = "https://spdx.dev/Document"
)

// PredicateType returns the predicate type for an encoded format name such as
// "cyclonedx-json@1.7" or "spdx-json@2.3".
func PredicateType(format string) (string, error) {
	switch {
	case strings.HasPrefix(format, "cyclonedx"):
		return PredicateCycloneDX, nil
	case strings.HasPrefix(format, "spdx"):
		return PredicateSPDX, nil
	}
	return "", fmt.Errorf("sbom: no attestation predicate type for format %q", format)
}

// Statement makes the in-toto statement that attests an encoded SBOM: the
// subject is the image (name and manifest digest), the predicate the SBOM itself.
func Statement(raw []byte, format, imageName, imageDigest string) (*attest.Statement, error) {
	pt, err := PredicateType(format)
	if err != nil {
		return nil, err
	}
	subject, err := attest.SubjectFromDigest(imageName, imageDigest)
	if err != nil {
		return nil, err
	}
	return attest.NewStatement(pt, raw, subject)
}
