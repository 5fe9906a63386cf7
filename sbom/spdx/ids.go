package spdx

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stella-ops/stella/sbom"
)

const (
	documentID  = "SPDXRef-DOCUMENT"
	subjectID   = "SPDXRef-Subject"
	noAssertion = "NOASSERTION"
)

// packageID is "SPDXRef-Pkg-" + the first 16 hex of sha256(identity).
func packageID(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return "SPDXRef-Pkg-" + hex.EncodeToString(sum[:8])
}

// documentNamespace is "https://stella-ops.org/spdx/" + the model digest hex.
func documentNamespace(d *sbom.Document) (string, error) {
	md, err := sbom.ModelDigest(d)
	if err != nil {
		return "", fmt.Errorf("spdx: model digest: %w", err)
	}
	return sbom.DocumentNamespace(md), nil
}

// clone deep-copies d so that encoding can normalize without touching it.
func clone(d *sbom.Document) (*sbom.Document, error) {
	if d == nil {
		return nil, fmt.Errorf("spdx: nil document")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("spdx: copy document: %w", err)
	}
	var c sbom.Document
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("spdx: copy document: %w", err)
	}
	return &c, nil
}

// checksumAlgorithms pairs CycloneDX hash names with SPDX 2.x ones.
func checksumAlgorithms() [][2]string {
	return [][2]string{
		{"MD5", "MD5"}, {"SHA-1", "SHA1"}, {"SHA-224", "SHA224"}, {"SHA-256", "SHA256"},
		{"SHA-384", "SHA384"}, {"SHA-512", "SHA512"}, {"SHA3-256", "SHA3-256"},
		{"SHA3-384", "SHA3-384"}, {"SHA3-512", "SHA3-512"}, {"BLAKE2b-256", "BLAKE2b-256"},
		{"BLAKE2b-384", "BLAKE2b-384"}, {"BLAKE2b-512", "BLAKE2b-512"}, {"BLAKE3", "BLAKE3"},
	}
}

// toSPDXAlgorithm maps a CycloneDX hash name; ok is false when SPDX has none.
func toSPDXAlgorithm(alg string) (string, bool) {
	for _, p := range checksumAlgorithms() {
		if strings.EqualFold(p[0], alg) {
			return p[1], true
		}
	}
	return "", false
}

// fromSPDXAlgorithm maps an SPDX checksum algorithm back; unknown names stay.
func fromSPDXAlgorithm(alg string) string {
	for _, p := range checksumAlgorithms() {
		if p[1] == alg {
			return p[0]
		}
	}
	return alg
}

// purposes pairs CycloneDX component types with SPDX 2.3 primaryPackagePurpose.
func purposes() [][2]string {
	return [][2]string{
		{"application", "APPLICATION"}, {"framework", "FRAMEWORK"}, {"library", "LIBRARY"},
		{"container", "CONTAINER"}, {"operating-system", "OPERATING_SYSTEM"},
		{"device", "DEVICE"}, {"firmware", "FIRMWARE"}, {"file", "FILE"},
	}
}

// toPurpose maps a component type; exact is false when decoding the purpose
// would not give the type back (it then needs a stella:type note).
func toPurpose(typ string) (purpose string, exact bool) {
	for _, p := range purposes() {
		if p[0] == typ {
			return p[1], true
		}
	}
	return "OTHER", false
}

// fromPurpose maps a primaryPackagePurpose back; library when unknown.
func fromPurpose(purpose string) string {
	for _, p := range purposes() {
		if strings.EqualFold(p[1], strings.ReplaceAll(purpose, "-", "_")) {
			return p[0]
		}
	}
	return "library"
}
