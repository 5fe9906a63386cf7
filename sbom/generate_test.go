package sbom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestParseSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bin")
	os.WriteFile(file, []byte("x"), 0o644)
	for in, want := range map[string]string{
		"dir:/x":                 "dir:/x",
		"file:/x":                "file:/x",
		"oci-dir:/x":             "oci-dir:/x",
		"oci-archive:/x.tar":     "oci-archive:/x.tar",
		"docker-archive:/x.tar":  "docker-archive:/x.tar",
		"registry:example.org/a": "registry:example.org/a",
		"docker:alpine:3.20":     "docker:alpine:3.20",
		dir:                      "dir:" + dir,
		file:                     "file:" + file,
	} {
		src, err := ParseSource(in)
		if err != nil {
			t.Errorf("ParseSource(%q): %v", in, err)
			continue
		}
		if src.String() != want {
			t.Errorf("ParseSource(%q) = %s, want %s", in, src, want)
		}
	}
	for _, bad := range []string{"", "dir:", filepath.Join(dir, "missing")} {
		if _, err := ParseSource(bad); err == nil {
			t.Errorf("ParseSource(%q) succeeded", bad)
		}
	}
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

func TestCacheKeyAndMemoryCache(t *testing.T) {
	info := CatalogerInfo{Engine: "syft", Version: "v1", ConfigDigest: "sha256:" + sha256Hex("cfg")}
	k1, _ := CacheKey("sha256:"+sha256Hex("a"), info)
	k2, _ := CacheKey("sha256:"+sha256Hex("b"), info)
	info.Version = "v2"
	k3, _ := CacheKey("sha256:"+sha256Hex("a"), info)
	if k1 == k2 || k1 == k3 {
		t.Fatalf("keys collide: %s %s %s", k1, k2, k3)
	}
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
