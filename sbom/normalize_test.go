package sbom

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func sample() Document {
	return Document{
		Components: []Component{
			{PURL: "pkg:deb/debian/zlib1g@1.2.13?arch=amd64&distro=debian-12", Name: "zlib1g", Type: "library", FoundBy: []string{"dpkg"},
				Locations: []Location{{Path: "/var/lib/dpkg/status", DiffID: "sha256:aa"}}},
			{Key: "bin:sha256:" + strings.Repeat("0", 64), Name: "tool", Type: "file"},
			{PURL: "pkg:golang/golang.org/x/net@v0.1.0", Name: "golang.org/x/net", Type: "library", FoundBy: []string{"go-module-binary"},
				Locations: []Location{{Path: "usr/bin/app"}}, Hashes: []Hash{{Algorithm: "SHA-256", Value: "AB"}}},
			{PURL: "pkg:deb/debian/zlib1g@1.2.13?arch=amd64&distro=debian-12", Name: "zlib1g", Type: "library", FoundBy: []string{"binary"},
				Locations: []Location{{Path: "usr/lib/libz.so.1", DiffID: "sha256:aa"}}},
		},
		Dependencies: []Dependency{{Ref: "b", DependsOn: []string{"z", "a"}}, {Ref: "a", DependsOn: []string{"b"}}, {Ref: "b", DependsOn: []string{"a"}}},
		Warnings:     []Warning{{Code: "x", Message: "2"}, {Code: "x", Message: "1"}, {Code: "x", Message: "2"}},
	}
}

func TestNormalizeMergesByIdentityAndSorts(t *testing.T) {
	d := sample()
	if err := Normalize(&d); err != nil {
		t.Fatal(err)
	}
	if len(d.Components) != 3 {
		t.Fatalf("components = %d, want the two zlib1g entries merged into one", len(d.Components))
	}
	z := d.Components[1] // bin: < pkg:deb < pkg:golang
	if z.Name != "zlib1g" || len(z.Locations) != 2 || z.Locations[0].Path != "usr/lib/libz.so.1" || z.Locations[1].Path != "var/lib/dpkg/status" || strings.Join(z.FoundBy, ",") != "binary,dpkg" {
		t.Fatalf("merged zlib1g = %+v", z)
	}
	if d.Components[0].Key == "" || d.Components[2].Hashes[0].Value != "ab" {
		t.Fatalf("order or hash case wrong: %+v", d.Components)
	}
	if len(d.Dependencies) != 2 || d.Dependencies[1].Ref != "b" || strings.Join(d.Dependencies[1].DependsOn, ",") != "a,z" {
		t.Fatalf("dependencies = %+v", d.Dependencies)
	}
	if len(d.Warnings) != 2 || d.Warnings[0].Message != "1" {
		t.Fatalf("warnings = %+v", d.Warnings)
	}
}

func TestNormalizeIsOrderIndependentAndIdempotent(t *testing.T) {
	want := sample()
	if err := Normalize(&want); err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	for i := range 50 {
		d := sample()
		r := rand.New(rand.NewPCG(uint64(i), 7))
		r.Shuffle(len(d.Components), func(a, b int) { d.Components[a], d.Components[b] = d.Components[b], d.Components[a] })
		r.Shuffle(len(d.Dependencies), func(a, b int) { d.Dependencies[a], d.Dependencies[b] = d.Dependencies[b], d.Dependencies[a] })
		if err := Normalize(&d); err != nil {
			t.Fatal(err)
		}
		if err := Normalize(&d); err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(d); string(got) != string(wantJSON) {
			t.Fatalf("shuffle %d changed the document:\n%s\n%s", i, got, wantJSON)
		}
	}
}

func TestNormalizeRejectsComponentsWithoutOneIdentity(t *testing.T) {
	for _, c := range []Component{{Name: "none"}, {Name: "both", PURL: "pkg:npm/x@1", Key: "gen:x/x@1"}} {
		d := Document{Components: []Component{c}}
		if err := Normalize(&d); err == nil || !strings.Contains(err.Error(), c.Name) {
			t.Errorf("component %q: err = %v, want one naming it", c.Name, err)
		}
	}
}

func TestWarningsAreCapped(t *testing.T) {
	d := Document{}
	for i := range 60 {
		d.Warnings = append(d.Warnings, Warning{Code: "c", Message: strings.Repeat("m", i+1)})
	}
	if err := Normalize(&d); err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != MaxWarnings+1 || d.Warnings[MaxWarnings].Code != "warnings-capped" {
		t.Fatalf("warnings = %d, last %+v", len(d.Warnings), d.Warnings[len(d.Warnings)-1])
	}
}
