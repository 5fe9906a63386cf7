package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestModelDigestIgnoresVolatileFieldsAndOrder(t *testing.T) {
	a := sample()
	b := sample()
	b.Timestamp = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	b.Tool = Tool{Name: "stella", Version: "9.9.9"}
	b.Components[0], b.Components[3] = b.Components[3], b.Components[0]
	da, err := ModelDigest(&a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := ModelDigest(&b)
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Fatalf("timestamp, tool or order changed the model digest: %s != %s", da, db)
	}
	if len(a.Components) != 4 {
		t.Fatal("ModelDigest modified its argument")
	}
	b.Components[1].Version = "2"
	if dc, _ := ModelDigest(&b); dc == da {
		t.Fatal("a content change kept the model digest")
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(da) {
		t.Fatalf("digest %q", da)
	}
}

func TestSerialNumberAndNamespace(t *testing.T) {
	md := "sha256:" + strings.Repeat("ab", 32)
	sn := SerialNumber(md)
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(sn) {
		t.Fatalf("serial %q is not a UUIDv5 URN", sn)
	}
	if SerialNumber(md) != sn || SerialNumber("sha256:"+strings.Repeat("cd", 32)) == sn {
		t.Fatal("serial number is not a function of the digest")
	}
	if got := DocumentNamespace(md); got != "https://stella-ops.org/spdx/"+strings.Repeat("ab", 32) {
		t.Fatalf("namespace %q", got)
	}
}

func TestContentDigestRemovesVolatilePaths(t *testing.T) {
	cases := []struct{ name, a, b, other string }{
		{"cyclonedx",
			`{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:1","version":1,"metadata":{"timestamp":"2020-01-01T00:00:00Z","tools":[{"name":"a"}],"authors":[{"name":"x"}],"component":{"type":"container","name":"img"}},"components":[]}`,
			`{"components":[],"version":1,"specVersion":"1.6","bomFormat":"CycloneDX","serialNumber":"urn:uuid:2","metadata":{"component":{"name":"img","type":"container"},"timestamp":"2024-01-01T00:00:00Z","tools":{"components":[]}}}`,
			`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"type":"container","name":"other"}},"components":[]}`},
		{"spdx2",
			`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","documentNamespace":"https://a/1","creationInfo":{"created":"2020-01-01T00:00:00Z","creators":["Tool: a"],"licenseListVersion":"3.20"},"packages":[{"name":"p","versionInfo":"1.0"}]}`,
			`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","documentNamespace":"https://b/2","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: b"]},"packages":[{"versionInfo":"1.0","name":"p"}]}`,
			`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","creationInfo":{},"packages":[{"name":"p","versionInfo":"1.1"}]}`},
		{"spdx3",
			`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"CreationInfo","@id":"_:ci","created":"2020-01-01T00:00:00Z","createdBy":["urn:a"],"specVersion":"3.0.1"},{"type":"software_Package","name":"p","creationInfo":"_:ci"}]}`,
			`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"CreationInfo","@id":"_:ci","created":"2024-01-01T00:00:00Z","createdUsing":["urn:t"],"specVersion":"3.0.1"},{"type":"software_Package","name":"p","creationInfo":"_:ci"}]}`,
			`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"CreationInfo","@id":"_:ci","specVersion":"3.0.1"},{"type":"software_Package","name":"q","creationInfo":"_:ci"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			da, err := ContentDigest([]byte(tc.a))
			if err != nil {
				t.Fatal(err)
			}
			db, err := ContentDigest([]byte(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			do, err := ContentDigest([]byte(tc.other))
			if err != nil {
				t.Fatal(err)
			}
			if da != db {
				t.Fatalf("documents differing only in volatile fields: %s != %s", da, db)
			}
			if da == do {
				t.Fatal("documents differing in content have the same digest")
			}
		})
	}
}

func TestContentDigestRejectsBadInput(t *testing.T) {
	for _, in := range []string{
		`{"bomFormat":"CycloneDX","bomFormat":"CycloneDX"}`, // duplicate key
		`{"bomFormat":"CycloneDX"} {}`,                      // trailing data
		`[]`,                                                // not an object
		`{"name":"x"}`,                                      // unknown format
		`{"bomFormat":`,                                     // truncated
	} {
		if _, err := ContentDigest([]byte(in)); err == nil {
			t.Errorf("ContentDigest(%s) accepted bad input", in)
		}
	}
}

func TestMerkleRoot(t *testing.T) {
	leaf := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	hexd := func(b []byte) string { return "sha256:" + hex.EncodeToString(b) }
	pair := func(l, r []byte) []byte { h := sha256.Sum256(append(append([]byte{}, l...), r...)); return h[:] }
	a, b, c := leaf("a"), leaf("b"), leaf("c")
	empty := sha256.Sum256(nil)
	cases := []struct {
		name   string
		leaves [][]byte
		want   []byte
	}{
		{"zero leaves", nil, empty[:]},
		{"one leaf is the root", [][]byte{a}, a},
		{"two", [][]byte{a, b}, pair(a, b)},
		{"odd last is paired with itself", [][]byte{a, b, c}, pair(pair(a, b), pair(c, c))},
	}
	for _, tc := range cases {
		var in []string
		for _, l := range tc.leaves {
			in = append(in, hexd(l))
		}
		got, err := MerkleRoot(in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != hexd(tc.want) {
			t.Errorf("%s: root %s, want %s", tc.name, got, hexd(tc.want))
		}
	}
	for _, bad := range []string{"sha256:zz", "md5:" + strings.Repeat("0", 64), "sha256:" + strings.Repeat("A", 64)} {
		if _, err := MerkleRoot([]string{bad}); err == nil {
			t.Errorf("leaf %q accepted", bad)
		}
	}
}

// FuzzContentDigest: any input either fails cleanly or digests the same way
// twice.
func FuzzContentDigest(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"x"}}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","creationInfo":{"created":"x"},"packages":[{"name":"p"}]}`))
	f.Add([]byte(`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"CreationInfo","created":"x"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","n":1e400}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d1, err := ContentDigest(raw)
		if err != nil {
			return
		}
		if d2, _ := ContentDigest(raw); d1 != d2 {
			t.Fatalf("digest not stable: %s %s", d1, d2)
		}
	})
}
