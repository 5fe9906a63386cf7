package vex

import (
	"fmt"
	"testing"
)

func TestApplies(t *testing.T) {
	img := "sha256:" + fmt.Sprintf("%064x", 7)
	otherImg := "sha256:" + fmt.Sprintf("%064x", 8)
	net := "pkg:golang/golang.org/x/net@v0.1.0"
	cases := []struct {
		name string
		subj Subject
		prod Product
		want float64 // 0 = does not apply
	}{
		{"version-less purl covers every version", Subject{Package: net}, Product{Ref: "pkg:golang/golang.org/x/net"}, 0.5},
		{"exact version", Subject{Package: net}, Product{Ref: "pkg:golang/golang.org/x/net@v0.1.0"}, 1},
		{"other version", Subject{Package: net}, Product{Ref: "pkg:golang/golang.org/x/net@v0.2.0"}, 0},
		{"other name", Subject{Package: net}, Product{Ref: "pkg:golang/golang.org/x/text"}, 0},
		{"other type", Subject{Package: net}, Product{Ref: "pkg:npm/golang.org/x/net"}, 0},
		{"percent-encoded namespace", Subject{Package: net}, Product{Ref: "pkg:golang/golang.org%2Fx%2Fnet@v0.1.0"}, 1},
		{"percent-encoded package", Subject{Package: "pkg:golang/golang.org%2Fx%2Fnet@v0.1.0"}, Product{Ref: "pkg:golang/golang.org/x/net"}, 0.5},
		{"statement qualifier present on package",
			Subject{Package: "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12"},
			Product{Ref: "pkg:deb/debian/openssl?arch=amd64"}, 0.5},
		{"statement qualifier missing on package",
			Subject{Package: "pkg:deb/debian/openssl@3.0.11-1"},
			Product{Ref: "pkg:deb/debian/openssl?arch=amd64"}, 0},
		{"statement qualifier differs",
			Subject{Package: "pkg:deb/debian/openssl@3.0.11-1?arch=arm64"},
			Product{Ref: "pkg:deb/debian/openssl?arch=amd64"}, 0},
		{"package qualifiers do not narrow a plain statement",
			Subject{Package: "pkg:deb/debian/openssl@3.0.11-1?arch=arm64"},
			Product{Ref: "pkg:deb/debian/openssl@3.0.11-1"}, 1},
		{"npm scope keeps its @", Subject{Package: "pkg:npm/%40angular/core@17.0.0"}, Product{Ref: "pkg:npm/@angular/core"}, 0.5},
		{"case-insensitive type rules", Subject{Package: "pkg:pypi/Django_Rest@1.0"}, Product{Ref: "pkg:PYPI/django-rest@1.0"}, 1},
		{"image digest covers its findings", Subject{Product: img, Package: net}, Product{Ref: img}, 1},
		{"image reference with digest", Subject{Product: "registry.example/app@" + img, Package: net}, Product{Ref: img}, 1},
		{"oci purl with digest", Subject{Product: img, Package: net}, Product{Ref: "pkg:oci/app@sha256%3A" + img[7:]}, 1},
		{"other image", Subject{Product: otherImg, Package: net}, Product{Ref: img}, 0},
		{"image with matching subcomponent", Subject{Product: img, Package: net},
			Product{Ref: img, Subcomponents: []string{"pkg:golang/golang.org/x/text", "pkg:golang/golang.org/x/net"}}, 0.5},
		{"image with versioned subcomponent", Subject{Product: img, Package: net},
			Product{Ref: img, Subcomponents: []string{"pkg:golang/golang.org/x/net@v0.1.0"}}, 1},
		{"image with other subcomponents", Subject{Product: img, Package: net},
			Product{Ref: img, Subcomponents: []string{"pkg:golang/golang.org/x/text"}}, 0},
		{"product purl with subcomponent", Subject{Product: "pkg:golang/example.com/app@v1.2.0", Package: net},
			Product{Ref: "pkg:golang/example.com/app", Subcomponents: []string{"pkg:golang/golang.org%2Fx%2Fnet"}}, 0.5},
		{"subcomponent of another image", Subject{Product: otherImg, Package: net},
			Product{Ref: img, Subcomponents: []string{"pkg:golang/golang.org/x/net"}}, 0},
		{"placeholder product (govulncheck)", Subject{Package: net},
			Product{Ref: "Unknown Product", Subcomponents: []string{"pkg:golang/golang.org%2Fx%2Fnet@v0.1.0"}}, 1},
		{"placeholder without subcomponents", Subject{Package: net}, Product{Ref: "Unknown Product"}, 0},
		{"CPE vendor and product", Subject{Package: "pkg:generic/openssl@3.0.1", CPE: "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"},
			Product{Ref: "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"}, 0.5},
		{"CPE 2.2 URI", Subject{Package: "pkg:generic/openssl@3.0.1", CPE: "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"},
			Product{Ref: "cpe:/a:OpenSSL:openssl:3.0.1"}, 0.5},
		{"CPE wildcard vendor is heuristic", Subject{Package: "pkg:generic/openssl@3.0.1", CPE: "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"},
			Product{Ref: "cpe:2.3:a:*:openssl:*:*:*:*:*:*:*:*"}, 0.25},
		{"CPE other vendor", Subject{Package: "pkg:generic/openssl@3.0.1", CPE: "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"},
			Product{Ref: "cpe:2.3:a:other:openssl:*:*:*:*:*:*:*:*"}, 0},
		{"CPE claim on a purl-matched finding", Subject{Package: "pkg:generic/openssl@3.0.1"},
			Product{Ref: "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"}, 0},
		{"CPE product is not a placeholder", Subject{Package: net},
			Product{Ref: "cpe:2.3:a:golang:net:*:*:*:*:*:*:*:*", Subcomponents: []string{net}}, 0},
		{"malformed digest", Subject{Product: "sha256:abc", Package: net}, Product{Ref: "sha256:abc"}, 0},
	}
	for _, c := range cases {
		got, ok := Applies(c.subj, c.prod)
		if !ok {
			got = 0
		}
		if got != c.want || ok != (c.want != 0) {
			t.Errorf("%s: Applies = %v, %v; want %v", c.name, got, ok, c.want)
		}
	}
}

func TestMatchesVuln(t *testing.T) {
	s := Statement{Vulnerability: "GHSA-xxxx-yyyy-zzzz", Aliases: []string{"CVE-2026-1"}}
	if !matchesVuln(s, []string{"CVE-2026-1"}) {
		t.Error("statement alias not matched to the group")
	}
	if !matchesVuln(s, []string{"ghsa-xxxx-yyyy-zzzz"}) {
		t.Error("id matched case-sensitively")
	}
	if matchesVuln(s, []string{"CVE-2026-2"}) || matchesVuln(s, nil) {
		t.Error("unrelated group matched")
	}
}

func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:golang/golang.org%2Fx%2Fnet@v0.1.0", "pkg:npm/@a/b@1?x=y#p", "pkg:", "pkg:a/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parsePURL(s)
		if ok && (p.typ == "" || p.path == "") {
			t.Fatalf("parsed %q to %+v", s, p)
		}
		if ok && p.covers(p) != true {
			t.Fatalf("%q does not cover itself", s)
		}
	})
}
