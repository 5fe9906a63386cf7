// Package spdxtest builds the sbom.Document that the SPDX codec tests share:
// an image with two layers, OS packages, a Go module, an unidentified binary
// and a package known only by a generated key.
//
//	d := spdxtest.Document(t)
//	spdxtest.Shuffle(d, rand.New(rand.NewPCG(1, 2)))
package spdxtest

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stella-ops/stella/sbom"
)

const (
	layer0 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	layer1 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	chain1 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	binSum = "4444444444444444444444444444444444444444444444444444444444444444"

	opensslPURL = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
	libsslPURL  = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
	modulePURL  = "pkg:golang/github.com/google/uuid@v1.6.0"
	stdlibPURL  = "pkg:golang/stdlib@1.26.8"
	osPURL      = "pkg:generic/debian@12"
	binKey      = "bin:sha256:" + binSum
	genKey      = "gen:npm/left-pad@1.3.0"
)

// Document returns a fresh, normalized fixture.
func Document(tb testing.TB) *sbom.Document {
	tb.Helper()
	d := &sbom.Document{
		Subject: sbom.Subject{
			Kind: "image", Name: "registry.example/app",
			Digest:      "sha256:5555555555555555555555555555555555555555555555555555555555555555",
			IndexDigest: "sha256:6666666666666666666666666666666666666666666666666666666666666666",
			Platform:    "linux/amd64",
		},
		Timestamp: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Tool:      sbom.Tool{Name: "stella", Version: "0.4.0"},
		Layers: []sbom.Layer{
			{Index: 0, DiffID: layer0, ChainID: layer0, Digest: "sha256:7777777777777777777777777777777777777777777777777777777777777777"},
			{Index: 1, DiffID: layer1, ChainID: chain1},
		},
		Components: []sbom.Component{
			{
				PURL: opensslPURL, Type: "application", Name: "openssl", Version: "3.0.11-1~deb12u2",
				Licenses:   []sbom.License{{ID: "Apache-2.0"}},
				Hashes:     []sbom.Hash{{Algorithm: "SHA-256", Value: "aa" + binSum[2:]}, {Algorithm: "MD5", Value: "0123456789abcdef0123456789abcdef"}},
				Locations:  []sbom.Location{{Path: "var/lib/dpkg/status", DiffID: layer1}, {Path: "usr/bin/openssl", DiffID: layer1}},
				CPEs:       []string{"cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"},
				Introduced: &sbom.LayerRef{DiffID: layer1, Index: 1},
				FirstSeen:  &sbom.LayerRef{DiffID: layer0, Index: 0},
				Source:     &sbom.SourcePackage{Name: "openssl", Version: "3.0.11-1~deb12u2"},
				FoundBy:    []string{"dpkg-db-cataloger"},
			},
			{
				PURL: libsslPURL, Type: "library", Name: "libssl3", Version: "3.0.11-1~deb12u2",
				Licenses:   []sbom.License{{ID: "Apache-2.0"}, {Name: "OpenSSL license, custom text"}},
				Locations:  []sbom.Location{{Path: "var/lib/dpkg/status", DiffID: layer1}},
				Introduced: &sbom.LayerRef{DiffID: layer1, Index: 1},
				Source:     &sbom.SourcePackage{Name: "openssl"},
				FoundBy:    []string{"dpkg-db-cataloger"},
			},
			{
				PURL: modulePURL, Type: "library", Name: "github.com/google/uuid", Version: "v1.6.0",
				Licenses:   []sbom.License{{Expression: "BSD-3-Clause OR MIT"}},
				Hashes:     []sbom.Hash{{Algorithm: "SHA-256", Value: "BB" + binSum[2:]}},
				Locations:  []sbom.Location{{Path: "app/server", DiffID: layer1}},
				Introduced: &sbom.LayerRef{DiffID: layer1, Index: 1},
				Properties: []sbom.Property{{Name: "stella:go.mainModule", Value: "false"}},
				FoundBy:    []string{"go-module-binary-cataloger"},
			},
			{
				PURL: stdlibPURL, Type: "library", Name: "stdlib", Version: "1.26.8",
				Locations:  []sbom.Location{{Path: "app/server", DiffID: layer1}},
				Introduced: &sbom.LayerRef{DiffID: layer1, Index: 1},
				FoundBy:    []string{"go-module-binary-cataloger"},
			},
			{
				PURL: osPURL, Type: "operating-system", Name: "debian", Version: "12",
				Locations:  []sbom.Location{{Path: "etc/os-release", DiffID: layer0}},
				Introduced: &sbom.LayerRef{DiffID: layer0, Index: 0},
				Properties: []sbom.Property{
					{Name: sbom.PropOSID, Value: "debian"}, {Name: sbom.PropOSVersionID, Value: "12"},
					{Name: sbom.PropOSCodename, Value: "bookworm"},
				},
				FoundBy: []string{"os-release"},
			},
			{
				Key: binKey, Type: "file", Name: "mystery", Version: "",
				Hashes:     []sbom.Hash{{Algorithm: "SHA-256", Value: binSum}},
				Locations:  []sbom.Location{{Path: "opt/mystery bin/mystery", DiffID: layer1}},
				Introduced: &sbom.LayerRef{DiffID: layer1, Index: 1},
				FoundBy:    []string{"binary-classifier-cataloger"},
			},
			{
				Key: genKey, Type: "machine-learning-model", Name: "left-pad", Version: "1.3.0",
				Locations:  []sbom.Location{{Path: "srv/node_modules/left-pad/package.json", DiffID: layer1}},
				Introduced: &sbom.LayerRef{DiffID: layer1, Index: 1},
				Properties: []sbom.Property{{Name: "stella:note", Value: "two\nlines \\ and a backslash"}},
				FoundBy:    []string{"javascript-package-cataloger"},
			},
		},
		Dependencies: []sbom.Dependency{
			{Ref: opensslPURL, DependsOn: []string{libsslPURL}},
			{Ref: modulePURL, DependsOn: []string{stdlibPURL}},
			{Ref: genKey, DependsOn: []string{binKey, "pkg:npm/not-in-this-document@1"}},
		},
		Properties: []sbom.Property{
			{Name: sbom.PropConfigDigest, Value: "sha256:8888888888888888888888888888888888888888888888888888888888888888"},
			{Name: sbom.PropMerkleRoot, Value: "sha256:9999999999999999999999999999999999999999999999999999999999999999"},
		},
		Warnings: []sbom.Warning{{Code: "unreadable-file", Message: "usr/lib/broken.so: truncated ELF"}},
	}
	if err := sbom.Normalize(d); err != nil {
		tb.Fatalf("fixture: %v", err)
	}
	return d
}

// Shuffle permutes every slice of d in place, as catalogers returning in
// another order would.
func Shuffle(d *sbom.Document, r *rand.Rand) {
	shuffle(r, d.Components)
	shuffle(r, d.Dependencies)
	shuffle(r, d.Layers)
	shuffle(r, d.Properties)
	shuffle(r, d.Warnings)
	for i := range d.Components {
		c := &d.Components[i]
		shuffle(r, c.Licenses)
		shuffle(r, c.Hashes)
		shuffle(r, c.Locations)
		shuffle(r, c.CPEs)
		shuffle(r, c.Properties)
		shuffle(r, c.FoundBy)
	}
	for i := range d.Dependencies {
		shuffle(r, d.Dependencies[i].DependsOn)
	}
}

func shuffle[T any](r *rand.Rand, s []T) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// ShortHash is the first 16 hex of sha256(s), the id part SPDX element ids
// derive from a component identity.
func ShortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// hashLine is a sha256sum line for b named name.
func hashLine(b []byte, name string) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) + "  " + name + "\n"
}
