package codec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/sbom"
)

func TestParseFormat(t *testing.T) {
	cases := map[string]Format{
		"cyclonedx-json@1.7": CycloneDXJSON17, " CycloneDX-JSON@1.6 ": CycloneDXJSON16,
		"spdx-json@2.3": SPDXJSON23, "spdx-json@3.0.1": SPDXJSON301,
		"cyclonedx-json": CycloneDXJSON17, "spdx-json": SPDXJSON23,
	}
	for in, want := range cases {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "cyclonedx-json@1.5", "spdx-json@2.2", "xml"} {
		if _, err := ParseFormat(bad); err == nil || !strings.Contains(err.Error(), "cyclonedx-json@1.7") {
			t.Errorf("ParseFormat(%q) error %v should list the valid formats", bad, err)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	cases := map[string]Format{
		`{"bomFormat":"CycloneDX","specVersion":"1.4"}`:                               "cyclonedx-json@1.4",
		`{"specVersion":"1.7","bomFormat":"CycloneDX","components":[]}`:               CycloneDXJSON17,
		`{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT"}`:                      "spdx-json@2.2",
		`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`:   SPDXJSON301,
		`{"@context":["https://spdx.org/rdf/3.0.0/spdx-context.jsonld"],"@graph":[]}`: "spdx-json@3.0.0",
		`{"bomFormat":"CycloneDX","specVersion":"9.9","unknown":{"nested":[1,2,3]}}`:  "cyclonedx-json@9.9",
	}
	for in, want := range cases {
		if got, err := DetectFormat([]byte(in)); err != nil || got != want {
			t.Errorf("DetectFormat(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`{}`, `[]`, `nope`, `{"bomFormat":"CycloneDX","specVersion":1.6}`,
		`{"spdxVersion":"SPDX-3.0"}`, `{"@context":"https://schema.org/"}`} {
		if f, err := DetectFormat([]byte(bad)); err == nil {
			t.Errorf("DetectFormat(%s) = %q, want an error", bad, f)
		}
	}
}

func sample() *sbom.Document {
	return &sbom.Document{
		Subject:   sbom.Subject{Kind: "directory", Name: "rootfs"},
		Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Tool:      sbom.Tool{Name: "stella", Version: "0.1.0"},
		Components: []sbom.Component{
			{PURL: "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12", Type: "library", Name: "bash", Version: "5.2.15-2+b7",
				Licenses: []sbom.License{{ID: "GPL-3.0-or-later"}}, Locations: []sbom.Location{{Path: "var/lib/dpkg/status"}}},
			{PURL: "pkg:npm/left-pad@1.3.0", Type: "library", Name: "left-pad", Version: "1.3.0"},
			{Key: "gen:binary-cataloger/busybox@1.36.1", Type: "application", Name: "busybox", Version: "1.36.1"},
		},
	}
}

// identities is the normalized package set of a document.
func identities(d *sbom.Document) string {
	var ids []string
	for _, c := range d.Components {
		ids = append(ids, c.Identity()+" "+c.Version)
	}
	return strings.Join(ids, "\n")
}

func TestEveryFormatRoundTripsTheSamePackageSet(t *testing.T) {
	norm, err := sbom.Normalized(sample())
	if err != nil {
		t.Fatal(err)
	}
	want := identities(norm)
	for _, f := range EncodeFormats() {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, sample(), f); err != nil {
				t.Fatal(err)
			}
			d, got, err := Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if got != f {
				t.Errorf("detected %q, encoded %q", got, f)
			}
			if ids := identities(d); ids != want {
				t.Errorf("package set after %s:\n%s\nwant\n%s", f, ids, want)
			}
		})
	}
}

func TestEncodeAndDecodeReject(t *testing.T) {
	if err := Encode(&bytes.Buffer{}, sample(), "cyclonedx-json@1.4"); err == nil {
		t.Error("encoding CycloneDX 1.4 was accepted")
	}
	_, f, err := Decode(strings.NewReader(`{"bomFormat":"CycloneDX","specVersion":"2.0"}`))
	if err == nil || !strings.Contains(err.Error(), `"2.0"`) || f != "cyclonedx-json@2.0" {
		t.Errorf("unknown specVersion: format %q, error %v", f, err)
	}
	if _, _, err := Decode(strings.NewReader(`{"name":"x"}`)); err == nil {
		t.Error("a document of no known format was accepted")
	}
}

// FuzzDecode: detection and dispatch never panic, whatever the input.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"../cyclonedx/testdata/*.json", "../spdx/testdata/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if raw, err := os.ReadFile(file); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Add([]byte(`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, format, err := Decode(bytes.NewReader(raw))
		if err == nil && (d == nil || format == "") {
			t.Fatalf("accepted without a document or format: %v %q", d, format)
		}
	})
}
