package alpine_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/alpine"
)

func readFixture(t *testing.T) []advisory.Observation {
	t.Helper()
	obs, err := alpine.ReadFile(filepath.Join("testdata", "v3.19-main.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range obs {
		ids = append(ids, o.Upstream.ID)
	}
	if want := []string{"v3.19/busybox", "v3.19/openssl", "v3.19/xen"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("observations %v, want one per (branch, package) %v", ids, want)
	}
	return obs
}

func fixedIn(v string) advisory.Range {
	return advisory.Range{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "0"}, {Fixed: v}}}
}

func TestReadEnvelope(t *testing.T) {
	o := readFixture(t)[1]
	if o.Identifiers.Primary != "v3.19/openssl" || len(o.Identifiers.Aliases) != 0 {
		t.Errorf("identifiers %+v: the ids must not be aliases of one another", o.Identifiers)
	}
	a := o.Advisory
	wantRelated := []string{"CVE-2020-1967", "CVE-2022-1292", "CVE-2022-2068", "CVE-2023-3817", "CVE-2023-5363", "CVE-2023-5678", "CVE-2024-0727"}
	if a.ID != "v3.19/openssl" || !reflect.DeepEqual(a.Related, wantRelated) || len(a.Affected) != 0 || a.Source != "alpine" {
		t.Errorf("package-level advisory %+v", a)
	}
	if !reflect.DeepEqual(o.Hints, advisory.Hints{PURLs: []string{"pkg:apk/alpine/openssl"}, CPEs: []string{}}) {
		t.Errorf("hints %+v", o.Hints)
	}
	if o.Source != (advisory.SourceRef{ID: "alpine", ReaderVersion: alpine.ReaderVersion}) || o.Content.Format != "alpine-secdb" {
		t.Errorf("source %+v format %s", o.Source, o.Content.Format)
	}
	if !bytes.Contains(o.Content.Raw, []byte(`"distroversion":"v3.19"`)) || bytes.Contains(o.Content.Raw, []byte("busybox")) {
		t.Errorf("raw must be the secdb document with only this package: %s", o.Content.Raw)
	}
}

func TestAdvisoriesPerVulnerability(t *testing.T) {
	obs := readFixture(t)
	pkg := func(n string) advisory.Package { return advisory.Package{Ecosystem: "Alpine:v3.19", Name: n} }
	for _, tt := range []struct {
		obs  int
		want []advisory.Advisory
	}{
		{0, []advisory.Advisory{ // listed under two versions: both ranges kept
			{ID: "CVE-2023-42363", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("busybox"), Ranges: []advisory.Range{fixedIn("1.36.1-r15"), fixedIn("1.36.1-r17")}}}},
			{ID: "CVE-2023-42364", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("busybox"), Ranges: []advisory.Range{fixedIn("1.36.1-r15")}}}},
			{ID: "CVE-2023-42365", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("busybox"), Ranges: []advisory.Range{fixedIn("1.36.1-r15")}}}},
			{ID: "CVE-2023-42366", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("busybox"), Ranges: []advisory.Range{fixedIn("1.36.1-r15")}}}},
		}},
		{2, []advisory.Advisory{ // whitespace-split tokens; "(AMD Zen1 only)" dropped
			{ID: "CVE-2023-20588", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("xen"), Ranges: []advisory.Range{fixedIn("4.17.2-r0")}}}},
			{ID: "CVE-2023-46837", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("xen"), Ranges: []advisory.Range{fixedIn("4.18.0-r2")}}}},
			{ID: "XSA-439", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("xen"), Ranges: []advisory.Range{fixedIn("4.17.2-r0")}}}},
			{ID: "XSA-447", Source: "alpine", Affected: []advisory.Affected{{Package: pkg("xen"), Ranges: []advisory.Range{fixedIn("4.18.0-r2")}}}},
		}},
	} {
		got, err := alpine.Advisories(obs[tt.obs])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", obs[tt.obs].Upstream.ID, got, tt.want)
		}
	}
	got, err := alpine.Advisories(obs[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		never := a.ID == "CVE-2022-1292" || a.ID == "CVE-2022-2068" // listed under "0"
		if never != (len(a.Affected) == 0) {
			t.Errorf("%s: affected %+v", a.ID, a.Affected)
		}
	}
	fixes, err := alpine.Fixes(obs[1])
	if err != nil || len(fixes) != 7 || fixes[0] != (alpine.Fix{ID: "CVE-2020-1967", Version: "1.1.1g-r0"}) {
		t.Errorf("fixes %+v %v", fixes, err)
	}
}

func TestPackagesHashedOnTheirOwn(t *testing.T) {
	obs := readFixture(t)
	doc, _ := os.ReadFile(filepath.Join("testdata", "v3.19-main.json"))
	changed := bytes.Replace(doc, []byte(`"4.18.0-r2"`), []byte(`"4.18.0-r3"`), 1)
	again, err := alpine.Read(bytes.NewReader(changed))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range again {
		if (o.ContentHash == obs[i].ContentHash) == (o.Upstream.ID == "v3.19/xen") {
			t.Errorf("%s: hash changed=%v", o.Upstream.ID, o.ContentHash != obs[i].ContentHash)
		}
		rt, err := alpine.Read(bytes.NewReader(obs[i].Content.Raw))
		if err != nil || len(rt) != 1 || rt[0].ContentHash != obs[i].ContentHash || !reflect.DeepEqual(rt[0].Advisory, obs[i].Advisory) {
			t.Errorf("%s: raw content does not round-trip (%v)", obs[i].Upstream.ID, err)
		}
	}
}

func TestReadErrorsNameFileAndField(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "not a secdb document"},
		{`{"packages": []}`, "distroversion: required"},
		{`{"distroversion": "v3.19"}`, "packages: required"},
		{`{"distroversion": "v3.19", "packages": {}}`, "packages: required: an array"},
		{`{"distroversion": "v3.19", "packages": [{"pkg": {"secfixes": {}}}]}`, "packages[0].pkg.name"},
		{`{"distroversion": "v3.19", "packages": [{"pkg": {"name": "a"}}, {"pkg": "b"}]}`, "packages[1]: not a package entry"},
		{`{"distroversion": "v3.19", "packages": [{"pkg": {"name": "a", "secfixes": {"1.0-r0": "CVE-2024-1"}}}]}`, `v3.19/a: packages[0].pkg.secfixes["1.0-r0"]: not an array`},
		{`{"distroversion": "v3.19", "packages": [{"pkg": {"name": "a", "secfixes": {"1 0": []}}}]}`, "not a package version"},
		{`{"distroversion": "v3.19", "packages": [{"pkg": {"name": "a"}}, {"pkg": {"name": "a"}}]}`, "v3.19/a: packages[1]: package listed again"},
	} {
		p := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := alpine.ReadFile(p)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n error %v\n want a ValidationError naming bad.json and %q", tt.doc, err, tt.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "v3.19-main.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"distroversion":"v3.20","packages":[{"pkg":{"name":"a","secfixes":{"0":["CVE-2024-1 x"]}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		apk, _ := advisory.EcosystemSchemes("Alpine")
		obs, err := alpine.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, o := range obs {
			if o.Advisory == nil || o.Identifiers.Primary == "" || !strings.HasPrefix(o.ContentHash, "sha256:") {
				t.Fatalf("accepted an invalid observation: %+v", o)
			}
			advs, err := alpine.Advisories(o)
			if err != nil {
				t.Fatalf("Advisories on an accepted observation: %v", err)
			}
			if split, err := alpine.Split(o); err != nil || len(split) != len(advs) {
				t.Fatalf("Split on an accepted observation: %d observations for %d ids, %v", len(split), len(advs), err)
			}
			for _, a := range advs {
				for _, af := range a.Affected {
					advisory.EvaluateAffected(&af, "1.0-r0", apk) // must not panic
				}
			}
		}
	})
}

func TestSplitPerVulnerability(t *testing.T) {
	o := readFixture(t)[2] // v3.19/xen
	split, err := alpine.Split(o)
	if err != nil {
		t.Fatal(err)
	}
	advs, _ := alpine.Advisories(o)
	if len(split) != 4 || len(advs) != 4 {
		t.Fatalf("split into %d, want 4", len(split))
	}
	for i, s := range split {
		if s.Upstream.ID != "v3.19/xen/"+advs[i].ID || s.Identifiers.Primary != advs[i].ID || !reflect.DeepEqual(*s.Advisory, advs[i]) ||
			s.Source.ID != "alpine" || s.ContentHash == o.ContentHash {
			t.Errorf("split[%d] %+v %+v", i, s.Upstream, s.Identifiers)
		}
		// The narrowed raw content is a secdb document naming just this id.
		back, err := alpine.Read(bytes.NewReader(s.Content.Raw))
		if err != nil {
			t.Fatal(err)
		}
		again, err := alpine.Advisories(back[0])
		if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], advs[i]) {
			t.Errorf("split[%d] raw reads back as %+v (%v)", i, again, err)
		}
	}
}
