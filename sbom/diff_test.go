package sbom

import (
	"encoding/json"
	"strings"
	"testing"
)

func layers(ids ...string) []Layer {
	out := make([]Layer, len(ids))
	for i, id := range ids {
		out[i] = Layer{Index: i, DiffID: id, ChainID: "c" + id}
	}
	return out
}

func deb(name, version, arch string, introduced string, index int) Component {
	return Component{PURL: "pkg:deb/debian/" + name + "@" + version + "?arch=" + arch + "&distro=debian-12",
		Name: name, Version: version, Type: "library", Introduced: &LayerRef{DiffID: introduced, Index: index}}
}

func TestPackageKey(t *testing.T) {
	cases := map[string]Component{
		"pkg:deb/debian/openssl?arch=amd64": {PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
		"pkg:npm/%40scope/left-pad":         {PURL: "pkg:npm/%40scope/left-pad@1.0.0"},
		"pkg:golang/golang.org/x/net":       {PURL: "pkg:golang/golang.org/x/net@v0.1.0"},
		"gen:python/foo":                    {Key: "gen:python/foo@1.2"},
		"bin:sha256:00":                     {Key: "bin:sha256:00"},
	}
	for want, c := range cases {
		if got := PackageKey(&c); got != want {
			t.Errorf("PackageKey(%s) = %q, want %q", c.Identity(), got, want)
		}
	}
}

func TestDiffAttributesChangesToLayers(t *testing.T) {
	old := &Document{
		Layers: layers("sha256:base", "sha256:app"),
		Components: []Component{
			deb("libc6", "2.36-9", "amd64", "sha256:base", 0),
			deb("curl", "7.88.1-10", "amd64", "sha256:base", 0),
			deb("zlib1g", "1.2.13", "amd64", "sha256:base", 0),
			deb("gone", "1.0", "amd64", "sha256:app", 1),
		},
	}
	// v2 = v1 + a layer that installs openssl, upgrades curl and deletes zlib1g.
	new := &Document{
		Layers: layers("sha256:base", "sha256:app", "sha256:openssl"),
		Components: []Component{
			deb("openssl", "3.0.11", "amd64", "sha256:openssl", 2),
			deb("curl", "7.88.1-10+deb12u5", "amd64", "sha256:openssl", 2),
			deb("libc6", "2.36-9", "amd64", "sha256:base", 0),
		},
	}
	r := Diff(old, new)
	want := []Change{
		{Key: "pkg:deb/debian/curl?arch=amd64", Kind: Changed, Name: "curl", Identity: new.Components[1].PURL,
			From: "7.88.1-10", To: "7.88.1-10+deb12u5", Layer: "sha256:openssl"},
		{Key: "pkg:deb/debian/gone?arch=amd64", Kind: Removed, Name: "gone", Identity: old.Components[3].PURL,
			From: "1.0", Layer: "sha256:app", RemovedBy: "sha256:openssl"},
		{Key: "pkg:deb/debian/openssl?arch=amd64", Kind: Added, Name: "openssl", Identity: new.Components[0].PURL,
			To: "3.0.11", Layer: "sha256:openssl"},
		{Key: "pkg:deb/debian/zlib1g?arch=amd64", Kind: Removed, Name: "zlib1g", Identity: old.Components[2].PURL,
			From: "1.2.13", Layer: "sha256:base", RemovedBy: "sha256:openssl"},
	}
	got, _ := json.Marshal(r.Changes)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Fatalf("changes\n got %s\nwant %s", got, exp)
	}
	if len(r.AddedLayers) != 1 || r.AddedLayers[0] != "sha256:openssl" || len(r.RemovedLayers) != 0 ||
		len(r.SharedLayers) != 2 || r.SharedLayers[0] != "sha256:base" || r.SharedLayers[1] != "sha256:app" {
		t.Fatalf("layers: added %v removed %v shared %v", r.AddedLayers, r.RemovedLayers, r.SharedLayers)
	}
}

func TestDiffArchIsPartOfTheKeyAndUnchangedIsSilent(t *testing.T) {
	old := &Document{Components: []Component{deb("libc6", "2.36", "amd64", "", 0), deb("libc6", "2.36", "i386", "", 0)}}
	new := &Document{Components: []Component{deb("libc6", "2.36", "amd64", "", 0)}}
	r := Diff(old, new)
	if len(r.Changes) != 1 || r.Changes[0].Kind != Removed || r.Changes[0].Key != "pkg:deb/debian/libc6?arch=i386" {
		t.Fatalf("changes = %+v", r.Changes)
	}
	if r.Changes[0].Layer != "" || r.Changes[0].RemovedBy != "" {
		t.Fatalf("layer attribution without layer data: %+v", r.Changes[0])
	}
}

func TestDiffSeveralVersionsOfOnePackage(t *testing.T) {
	npm := func(v string) Component {
		return Component{PURL: "pkg:npm/lodash@" + v, Name: "lodash", Version: v, Type: "library"}
	}
	r := Diff(&Document{Components: []Component{npm("4.17.20"), npm("3.10.1")}},
		&Document{Components: []Component{npm("4.17.21"), npm("3.10.1"), npm("2.4.2")}})
	var kinds []string
	for _, c := range r.Changes {
		kinds = append(kinds, string(c.Kind)+":"+c.From+">"+c.To)
	}
	if got := strings.Join(kinds, ","); got != "added:>2.4.2,added:>4.17.21,removed:4.17.20>" {
		t.Fatalf("changes = %s", got)
	}
}

func TestDiffIsDeterministicAndHasADigest(t *testing.T) {
	a := sample()
	b := sample()
	b.Components = b.Components[:2]
	r1, r2 := Diff(&a, &b), Diff(&b, &a)
	d1, err := r1.ContentDigest()
	if err != nil {
		t.Fatal(err)
	}
	b.Components[0], b.Components[1] = b.Components[1], b.Components[0]
	d1again, _ := Diff(&a, &b).ContentDigest()
	d2, _ := r2.ContentDigest()
	if d1 != d1again {
		t.Fatal("input order changed the diff digest")
	}
	if d1 == d2 {
		t.Fatal("reversed diff has the same digest")
	}
	if empty := Diff(nil, nil); len(empty.Changes) != 0 || empty.AddedLayers == nil {
		t.Fatalf("empty diff = %+v", empty)
	}
}
