package spdx3

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const (
	// Context is the JSON-LD context of every document Stella writes.
	Context     = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
	specVersion = "3.0.1"
	creationID  = "_:creationinfo"
)

// shortHash is the first 16 hex of sha256(s): the id part of element IRIs.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// hashAlgorithms pairs CycloneDX hash names with SPDX 3 HashAlgorithm values.
func hashAlgorithms() [][2]string {
	return [][2]string{
		{"MD5", "md5"}, {"SHA-1", "sha1"}, {"SHA-224", "sha224"}, {"SHA-256", "sha256"},
		{"SHA-384", "sha384"}, {"SHA-512", "sha512"}, {"SHA3-256", "sha3_256"},
		{"SHA3-384", "sha3_384"}, {"SHA3-512", "sha3_512"}, {"BLAKE2b-256", "blake2b256"},
		{"BLAKE2b-384", "blake2b384"}, {"BLAKE2b-512", "blake2b512"}, {"BLAKE3", "blake3"},
	}
}

func toHashAlgorithm(alg string) (string, bool) {
	for _, p := range hashAlgorithms() {
		if strings.EqualFold(p[0], alg) {
			return p[1], true
		}
	}
	return "", false
}

func fromHashAlgorithm(alg string) string {
	for _, p := range hashAlgorithms() {
		if p[1] == alg {
			return p[0]
		}
	}
	return alg
}

// purposes pairs CycloneDX component types with SPDX 3 SoftwarePurpose values.
func purposes() [][2]string {
	return [][2]string{
		{"application", "application"}, {"framework", "framework"}, {"library", "library"},
		{"container", "container"}, {"operating-system", "operatingSystem"},
		{"device", "device"}, {"device-driver", "deviceDriver"}, {"firmware", "firmware"},
		{"file", "file"}, {"data", "data"}, {"machine-learning-model", "model"},
		{"platform", "platform"},
	}
}

// toPurpose maps a component type; exact is false when the purpose does not
// give the type back (a stella:type note then keeps it).
func toPurpose(typ string) (purpose string, exact bool) {
	for _, p := range purposes() {
		if p[0] == typ {
			return p[1], true
		}
	}
	return "other", false
}

func fromPurpose(purpose string) string {
	for _, p := range purposes() {
		if p[1] == purpose {
			return p[0]
		}
	}
	return "library"
}
