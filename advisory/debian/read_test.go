package debian_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/debian"
)

func readFixture(t *testing.T) map[string]advisory.Observation {
	t.Helper()
	obs, err := debian.ReadFile(filepath.Join("testdata", "tracker.json"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]advisory.Observation{}
	var order []string
	for _, o := range obs {
		byID[o.Upstream.ID] = o
		order = append(order, o.Upstream.ID)
	}
	want := []string{"openssl/CVE-2023-5678", "openssl/CVE-2024-2511", "xz-utils/CVE-2024-3094", "xz-utils/TEMP-0000000-A1B2C3"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("observations %v, want one per (source package, id) in order %v", order, want)
	}
	return byID
}

func ecosystemRange(events ...advisory.Event) []advisory.Range {
	return []advisory.Range{{Type: advisory.RangeEcosystem, Events: events}}
}

func TestReadMapsReleasesToRanges(t *testing.T) {
	obs := readFixture(t)
	for _, tt := range []struct {
		upstream string
		want     []advisory.Affected
	}{
		{"openssl/CVE-2023-5678", []advisory.Affected{ // sid has no OSV release number
			{Package: advisory.Package{Ecosystem: "Debian:11", Name: "openssl"}, Ranges: ecosystemRange(advisory.Event{Introduced: "0"}, advisory.Event{Fixed: "1.1.1w-0+deb11u2"})},
			{Package: advisory.Package{Ecosystem: "Debian:12", Name: "openssl"}, Ranges: ecosystemRange(advisory.Event{Introduced: "0"}, advisory.Event{Fixed: "3.0.13-1~deb12u1"})},
			{Package: advisory.Package{Ecosystem: "Debian:13", Name: "openssl"}, Ranges: ecosystemRange(advisory.Event{Introduced: "0"}, advisory.Event{Fixed: "3.1.4-2"})},
		}},
		{"openssl/CVE-2024-2511", []advisory.Affected{ // undetermined is affected (fail closed); open has no fix
			{Package: advisory.Package{Ecosystem: "Debian:11", Name: "openssl"}, Ranges: ecosystemRange(advisory.Event{Introduced: "0"})},
			{Package: advisory.Package{Ecosystem: "Debian:12", Name: "openssl"}, Ranges: ecosystemRange(advisory.Event{Introduced: "0"})},
		}},
		{"xz-utils/CVE-2024-3094", nil}, // fixed_version "0": never affected in bookworm and bullseye
		{"xz-utils/TEMP-0000000-A1B2C3", []advisory.Affected{
			{Package: advisory.Package{Ecosystem: "Debian:13", Name: "xz-utils"}, Ranges: ecosystemRange(advisory.Event{Introduced: "0"})},
		}},
	} {
		o := obs[tt.upstream]
		if !reflect.DeepEqual(o.Advisory.Affected, tt.want) {
			t.Errorf("%s: affected\n got %+v\nwant %+v", tt.upstream, o.Advisory.Affected, tt.want)
		}
	}
}

func TestReadEnvelope(t *testing.T) {
	o := readFixture(t)["openssl/CVE-2023-5678"]
	if o.Identifiers.Primary != "CVE-2023-5678" || len(o.Identifiers.Aliases) != 0 || o.Advisory.ID != "CVE-2023-5678" || o.Advisory.Source != "debian" {
		t.Errorf("identifiers %+v, advisory id %s", o.Identifiers, o.Advisory.ID)
	}
	if !strings.HasPrefix(o.Advisory.Details, "Generating excessively long") || !o.Advisory.Modified.IsZero() {
		t.Errorf("details %q modified %v", o.Advisory.Details, o.Advisory.Modified)
	}
	if o.Source != (advisory.SourceRef{ID: "debian", ReaderVersion: debian.ReaderVersion}) || o.Content.Format != "debian-security-tracker" {
		t.Errorf("source %+v format %s", o.Source, o.Content.Format)
	}
	if !reflect.DeepEqual(o.Hints, advisory.Hints{PURLs: []string{"pkg:deb/debian/openssl"}, CPEs: []string{}}) {
		t.Errorf("hints %+v", o.Hints)
	}
	if !bytes.HasPrefix(o.Content.Raw, []byte(`{"openssl":{"CVE-2023-5678":{`)) || !bytes.Contains(o.Content.Raw, []byte(`"debianbug":1055473`)) {
		t.Errorf("raw %s", o.Content.Raw)
	}
}

// Each entry is hashed on its own: changing one CVE leaves the others'
// hashes alone, and the raw content reads back into the same observation.
func TestEntriesHashedOnTheirOwn(t *testing.T) {
	obs := readFixture(t)
	doc, _ := os.ReadFile(filepath.Join("testdata", "tracker.json"))
	changed := bytes.Replace(doc, []byte(`"fixed_version": "3.0.13-1~deb12u1"`), []byte(`"fixed_version": "3.0.13-1~deb12u2"`), 1)
	again, err := debian.Read(bytes.NewReader(changed))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range again {
		same := o.ContentHash == obs[o.Upstream.ID].ContentHash
		if same == (o.Upstream.ID == "openssl/CVE-2023-5678") {
			t.Errorf("%s: hash changed=%v", o.Upstream.ID, !same)
		}
	}
	for id, o := range obs {
		rt, err := debian.Read(bytes.NewReader(o.Content.Raw))
		if err != nil || len(rt) != 1 || rt[0].ContentHash != o.ContentHash || !reflect.DeepEqual(rt[0].Advisory, o.Advisory) {
			t.Errorf("%s: raw content does not round-trip (%v)", id, err)
		}
	}
}

func TestReadErrorsNameFileAndField(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "not a tracker document"},
		{`{"openssl": []}`, "not a tracker document"},
		{`{"openssl": {"CVE-1": []}}`, "openssl/CVE-1: invalid entry"},
		{`{"openssl": {"CVE-1": {"releases": {"bookworm": {"status": "fixed"}}}}}`, "openssl/CVE-1: releases.bookworm.status"},
		{`{"openssl": {"CVE-1": {"releases": {"sid": {"status": ""}}}}}`, "releases.sid.status"},
		{`{"openssl": {"CVE-1": {"releases": {"bookworm": {"status": "resolved"}}}}}`, "releases.bookworm.fixed_version: required"},
		{`{"openssl": {" ": {}}}`, "empty vulnerability id"},
		{`{"": {}}`, "empty source package"},
	} {
		p := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := debian.ReadFile(p)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n error %v\n want a ValidationError naming bad.json and %q", tt.doc, err, tt.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "tracker.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"a":{"CVE-1":{"releases":{"bookworm":{"status":"resolved","fixed_version":"0"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		obs, err := debian.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, o := range obs {
			if o.Advisory == nil || o.Identifiers.Primary == "" || !strings.HasPrefix(o.ContentHash, "sha256:") {
				t.Fatalf("accepted an invalid observation: %+v", o)
			}
			for _, a := range o.Advisory.Affected {
				eco, err := advisory.EcosystemSchemes(a.Package.Ecosystem)
				if err != nil {
					t.Fatalf("ecosystem %q has no scheme: %v", a.Package.Ecosystem, err)
				}
				advisory.EvaluateAffected(&a, "1.0-1", eco) // must not panic
			}
		}
	})
}
