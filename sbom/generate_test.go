package sbom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestDocumentTime(t *testing.T) {
	explicit := time.Date(2026, 3, 1, 12, 0, 0, 500, time.FixedZone("X", 3600))
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name    string
		cfg     config
		created time.Time
		want    time.Time
	}{
		{"explicit wins", config{timestamp: explicit, clock: clock}, created, time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)},
		{"image created", config{clock: clock}, created, created},
		{"clock", config{clock: clock}, time.Time{}, clock()},
		{"epoch, never the wall clock", config{}, time.Time{}, time.Unix(0, 0).UTC()},
	} {
		if got := tc.cfg.documentTime(tc.created); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("%s: %v, want %v UTC", tc.name, got, tc.want)
		}
	}
}

func TestGenerateNeedsACataloger(t *testing.T) {
	if _, err := Generate(context.Background(), Dir(t.TempDir())); !errors.Is(err, ErrNoCataloger) {
		t.Fatalf("err = %v, want ErrNoCataloger", err)
	}
}

func TestMemoryCache(t *testing.T) {
	k1, k2 := "sha256:"+sha256Hex("a"), "sha256:"+sha256Hex("b")
	ctx := context.Background()
	c := NewMemoryCache()
	inv := &Inventory{Packages: []RawPackage{{ID: "1", Name: "a", Locations: []Location{{Path: "p"}}}}}
	c.Put(ctx, k1, inv)
	inv.Packages[0].Name = "changed after Put"
	got, ok, err := c.Get(ctx, k1)
	if err != nil || !ok || got.Packages[0].Name != "a" {
		t.Fatalf("Get = %+v, %v, %v", got, ok, err)
	}
	c.Get(ctx, k2)
	if s := c.Stats(); s != (CacheStats{Hits: 1, Misses: 1, Puts: 1}) {
		t.Fatalf("stats = %+v", s)
	}
}

func TestNormalizePURL(t *testing.T) {
	osr := &OSRelease{ID: "debian", VersionID: "12"}
	for _, tc := range []struct {
		raw  RawPackage
		want string
	}{
		{RawPackage{PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12.5&upstream=", Arch: "amd64"},
			"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
		{RawPackage{PURL: "pkg:PyPI/Foo_Bar@1.0"}, "pkg:pypi/foo-bar@1.0"},
		{RawPackage{PURL: "pkg:npm/b@1?z=1&a=2"}, "pkg:npm/b@1?a=2&z=1"},
	} {
		if got, ok := normalizePURL(tc.raw, osr); !ok || got != tc.want {
			t.Errorf("normalizePURL(%s) = %s, want %s", tc.raw.PURL, got, tc.want)
		}
	}
	if _, ok := normalizePURL(RawPackage{PURL: "not a purl"}, osr); ok {
		t.Error("an unparsable purl was accepted")
	}
	if got := componentKey(RawPackage{Name: "x", Version: "1", FoundBy: "binary-classifier-cataloger"}); got != "gen:binary-classifier-cataloger/x@1" {
		t.Errorf("key = %s", got)
	}
	if got := componentKey(RawPackage{Hashes: []Hash{{Algorithm: "SHA-256", Value: sha256Hex("b")}}}); got != "bin:sha256:"+sha256Hex("b") {
		t.Errorf("key = %s", got)
	}
}

func TestSmallFileSHA256(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	os.WriteFile(small, []byte("abc"), 0o644)
	if err := os.WriteFile(big, make([]byte, 20<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, ok := smallFileSHA256(small); !ok || sum != sha256Hex("abc") {
		t.Errorf("small file: %s %v", sum, ok)
	}
	if _, ok := smallFileSHA256(big); ok {
		t.Error("a 20 MiB file was hashed")
	}
}

// scanned is a Source that returns what it holds, as any Source, here or in
// another package, may.
type scanned Scanned

func (s *scanned) String() string { return "scanned:" + s.Subject.Name }

func (s *scanned) Scan(context.Context, ScanOptions) (*Scanned, error) {
	sc := Scanned(*s)
	return &sc, nil
}

// infoOnly is a Cataloger for sources that catalog nothing through it.
type infoOnly struct{}

func (infoOnly) Info() CatalogerInfo {
	return CatalogerInfo{Engine: "test", Version: "v0", ConfigDigest: "sha256:" + sha256Hex("cfg")}
}

func (infoOnly) Catalog(context.Context, View) (*Inventory, error) {
	return nil, errors.New("not used")
}

func TestGenerateAttributesThePrefixInventoriesOfAnySource(t *testing.T) {
	npm := func(name, version string) RawPackage {
		return RawPackage{ID: name, Name: name, Version: version, PURL: "pkg:npm/" + name + "@" + version,
			Type: "npm", FoundBy: "test", Locations: []Location{{Path: "app/" + name}}}
	}
	inv := func(ps ...RawPackage) *Inventory { return &Inventory{Packages: ps} }
	var layers []Layer
	for i := range 3 {
		d := "sha256:" + sha256Hex(fmt.Sprint("layer", i))
		layers = append(layers, Layer{Index: i, DiffID: d, ChainID: d})
	}
	src := &scanned{
		Subject: Subject{Kind: "image", Name: "app"},
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Layers:  layers,
		// a@1 in layer 0, b@1 added by layer 1, a upgraded to 2 by layer 2.
		Inventories: []*Inventory{inv(npm("a", "1")), inv(npm("a", "1"), npm("b", "1")), inv(npm("a", "2"), npm("b", "1"))},
	}
	doc, err := Generate(context.Background(), src, WithCataloger(infoOnly{}))
	if err != nil {
		t.Fatal(err)
	}
	at := func(i int) *LayerRef { return &LayerRef{DiffID: layers[i].DiffID, Index: i} }
	want := map[string][2]*LayerRef{"pkg:npm/a@2": {at(2), at(0)}, "pkg:npm/b@1": {at(1), nil}}
	if len(doc.Components) != len(want) {
		t.Fatalf("components = %+v", doc.Components)
	}
	for _, c := range doc.Components {
		w := want[c.PURL]
		if !reflect.DeepEqual(c.Introduced, w[0]) || !reflect.DeepEqual(c.FirstSeen, w[1]) {
			t.Errorf("%s: introduced %+v, first seen %+v; want %+v, %+v", c.PURL, c.Introduced, c.FirstSeen, w[0], w[1])
		}
	}
	comp, err := Compose(doc)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := comp.Digest()
	props := map[string]string{}
	for _, p := range doc.Properties {
		props[p.Name] = p.Value
	}
	if props[PropMerkleRoot] != comp.MerkleRoot || props[PropComposition] != digest {
		t.Errorf("properties %v do not record the composition (root %s, digest %s)", props, comp.MerkleRoot, digest)
	}
	if !doc.Timestamp.Equal(src.Created) || !reflect.DeepEqual(doc.Layers, layers) {
		t.Errorf("timestamp %v, layers %+v", doc.Timestamp, doc.Layers)
	}
}

func TestGenerateRejectsInconsistentScans(t *testing.T) {
	layer := Layer{Index: 0, DiffID: "sha256:" + sha256Hex("l"), ChainID: "sha256:" + sha256Hex("l")}
	for name, sc := range map[string]*scanned{
		"a nil inventory":                       {Inventories: []*Inventory{nil}},
		"two inventories without layers":        {Inventories: []*Inventory{{}, {}}},
		"fewer inventories than layer prefixes": {Layers: []Layer{layer}},
	} {
		if _, err := Generate(context.Background(), sc, WithCataloger(infoOnly{})); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// An image without layers holds nothing: an empty document, no error.
	doc, err := Generate(context.Background(), &scanned{Subject: Subject{Kind: "image", Name: "empty"}}, WithCataloger(infoOnly{}))
	if err != nil || len(doc.Components) != 0 {
		t.Errorf("empty image: %+v, %v", doc, err)
	}
}
