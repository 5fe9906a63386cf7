package cyclonedx

import (
	"strings"
	"time"

	"github.com/stella-ops/stella/sbom"
)

const (
	diffBase = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	diffApp  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// fixture is a small image SBOM that uses every field of the model.
func fixture() *sbom.Document {
	return &sbom.Document{
		Subject: sbom.Subject{Kind: "image", Name: "registry.example/app",
			Digest:      "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			IndexDigest: "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Platform: "linux/amd64"},
		Timestamp: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Tool:      sbom.Tool{Name: "stella", Version: "0.1.0"},
		Layers: []sbom.Layer{
			{Index: 0, DiffID: diffBase, ChainID: diffBase, Digest: "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"},
			{Index: 1, DiffID: diffApp, ChainID: "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"},
		},
		Components: []sbom.Component{
			{PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Type: "library", Name: "libssl3", Version: "3.0.11-1~deb12u2",
				Licenses:   []sbom.License{{ID: "Apache-2.0"}, {Name: "OpenSSL custom"}},
				Hashes:     []sbom.Hash{{Algorithm: "MD5", Value: strings.Repeat("e", 32)}, {Algorithm: "SHA-256", Value: strings.Repeat("f", 64)}, {Algorithm: "xxh64", Value: "0123"}},
				Locations:  []sbom.Location{{Path: "var/lib/dpkg/status", DiffID: diffBase}, {Path: "usr/lib/x86_64-linux-gnu/libssl.so.3", DiffID: diffApp}},
				CPEs:       []string{"cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*", "cpe:2.3:a:openssl:libssl3:3.0.11:*:*:*:*:*:*:*"},
				Introduced: &sbom.LayerRef{DiffID: diffApp, Index: 1}, FirstSeen: &sbom.LayerRef{DiffID: diffBase, Index: 0},
				Source: &sbom.SourcePackage{Name: "openssl", Version: "3.0.11-1~deb12u2"}, FoundBy: []string{"dpkg-db-cataloger"}},
			{PURL: "pkg:golang/golang.org/x/net@v0.30.0", Type: "library", Name: "golang.org/x/net", Version: "v0.30.0",
				Licenses:  []sbom.License{{Expression: "BSD-3-Clause OR MIT"}},
				Locations: []sbom.Location{{Path: "usr/bin/app", DiffID: diffApp}}, Introduced: &sbom.LayerRef{DiffID: diffApp, Index: 1},
				Properties: []sbom.Property{{Name: "stella:go.mainModule", Value: "false"}}, FoundBy: []string{"go-module-binary-cataloger"}},
			{Key: "bin:sha256:" + strings.Repeat("9", 64), Type: "file", Name: "mystery", Locations: []sbom.Location{{Path: "opt/mystery"}},
				Hashes: []sbom.Hash{{Algorithm: "SHA-256", Value: strings.Repeat("9", 64)}}, Introduced: &sbom.LayerRef{DiffID: diffApp, Index: 1}},
			{Key: "gen:python-package-cataloger/tool@1.0", Type: "library", Name: "tool", Version: "1.0", Introduced: &sbom.LayerRef{DiffID: diffBase, Index: 0}},
			{PURL: "pkg:generic/debian@12", Type: "operating-system", Name: "debian", Version: "12", Introduced: &sbom.LayerRef{DiffID: diffBase, Index: 0},
				Properties: []sbom.Property{{Name: sbom.PropOSID, Value: "debian"}, {Name: sbom.PropOSVersionID, Value: "12"}, {Name: sbom.PropOSCodename, Value: "bookworm"}}},
		},
		Dependencies: []sbom.Dependency{
			{Ref: "pkg:golang/golang.org/x/net@v0.30.0", DependsOn: []string{}},
			{Ref: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", DependsOn: []string{"gen:python-package-cataloger/tool@1.0"}},
		},
		Properties: []sbom.Property{
			{Name: sbom.PropConfigDigest, Value: "sha256:" + strings.Repeat("3", 64)},
			{Name: sbom.PropMerkleRoot, Value: "sha256:" + strings.Repeat("4", 64)},
			{Name: sbom.PropComposition, Value: "sha256:" + strings.Repeat("5", 64)},
		},
		Warnings: []sbom.Warning{{Code: "unreadable-file", Message: "opt/broken: permission denied"}},
	}
}
