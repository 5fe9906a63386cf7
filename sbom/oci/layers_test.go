package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stella-ops/stella/sbom"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// entry is one tar entry of a test layer: a file, a directory (name ending
// in "/"), or a symlink (link set).
type entry struct {
	name, body, link string
}

func testLayer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		switch {
		case e.link != "":
			h = &tar.Header{Name: e.name, Typeflag: tar.TypeSymlink, Linkname: e.link}
		case e.name[len(e.name)-1] == '/':
			h = &tar.Header{Name: e.name, Mode: 0o755, Typeflag: tar.TypeDir}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func asImageLayer(t *testing.T, l v1.Layer, index int) imageLayer {
	t.Helper()
	d, err := l.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	return imageLayer{Layer: sbom.Layer{Index: index, DiffID: d.String()}, layer: l}
}

func TestRootfsRejectsContentNotMatchingTheDiffID(t *testing.T) {
	fs, err := newRootfs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fs.close()
	l := asImageLayer(t, testLayer(t, entry{name: "a", body: "x"}), 0)
	l.DiffID = "sha256:" + sha256Hex("something else")
	if err := fs.apply(context.Background(), l, false); err == nil {
		t.Fatal("a layer whose content does not match its diffID was applied without error")
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestRootfsAppliesLayersWithWhiteouts(t *testing.T) {
	dir := t.TempDir()
	fs, err := newRootfs(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.close()
	layers := []v1.Layer{
		testLayer(t,
			entry{name: "etc/"}, entry{name: "etc/keep", body: "0"}, entry{name: "etc/gone", body: "0"},
			entry{name: "opt/old/a", body: "0"}, entry{name: "usr/lib/x", body: "0"},
			entry{name: "lib", link: "usr/lib"}, entry{name: "abs", link: "/usr"}),
		testLayer(t,
			entry{name: "etc/.wh.gone"},
			entry{name: "opt/old/.wh..wh..opq"}, entry{name: "opt/old/b", body: "1"},
			entry{name: "lib/y", body: "1"},         // through a relative link
			entry{name: "abs/lib/z", body: "1"},     // through an absolute link: stays inside
			entry{name: "./etc/keep", body: "new"}), // rewritten
	}
	for i, l := range layers {
		if err := fs.apply(context.Background(), asImageLayer(t, l, i), false); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"abs", "etc/keep", "lib", "opt/old/b", "usr/lib/x", "usr/lib/y", "usr/lib/z"}
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	owners := map[string]int{"abs": 0, "etc/keep": 1, "lib": 0, "opt/old/b": 1, "usr/lib/x": 0, "usr/lib/y": 1, "usr/lib/z": 1}
	if len(fs.owner) != len(owners) {
		t.Errorf("owners = %v, want %v", fs.owner, owners)
	}
	for p, i := range owners {
		if fs.owner[p] != i {
			t.Errorf("owner of %s = %d, want %d", p, fs.owner[p], i)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "etc/keep")); string(b) != "new" {
		t.Errorf("etc/keep = %q, want the upper layer's content", b)
	}
}

func TestRootfsKeepsEscapingEntriesInside(t *testing.T) {
	dir := t.TempDir()
	if _, err := newRootfs(filepath.Join(dir, "root")); err == nil {
		t.Fatal("opening a missing root should fail")
	}
	os.Mkdir(filepath.Join(dir, "root"), 0o755)
	fs, err := newRootfs(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	defer fs.close()
	l := testLayer(t, entry{name: "../../evil", body: "x"}, entry{name: "up", link: "../.."}, entry{name: "up/evil2", body: "x"})
	if err := fs.apply(context.Background(), asImageLayer(t, l, 0), false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
		t.Fatal("an entry escaped the root filesystem")
	}
	if got := listFiles(t, filepath.Join(dir, "root")); !slices.Equal(got, []string{"evil", "evil2", "up"}) {
		t.Fatalf("files = %v", got)
	}
}

func TestChainID(t *testing.T) {
	// chainID(L0) = diffID(L0); chainID(L0|L1) = sha256("<chainID(L0)> <diffID(L1)>").
	a := "sha256:" + string(bytes.Repeat([]byte("a"), 64))
	b := "sha256:" + string(bytes.Repeat([]byte("b"), 64))
	if got := chainID("", a); got != a {
		t.Errorf("chainID of the base = %s, want its diffID", got)
	}
	if got, want := chainID(a, b), "sha256:"+sha256Hex(a+" "+b); got != want {
		t.Errorf("chainID = %s, want %s", got, want)
	}
}

func TestCacheKey(t *testing.T) {
	info := sbom.CatalogerInfo{Engine: "syft", Version: "v1", ConfigDigest: "sha256:" + sha256Hex("cfg")}
	k1, _ := cacheKey("sha256:"+sha256Hex("a"), info)
	k2, _ := cacheKey("sha256:"+sha256Hex("b"), info)
	info.Version = "v2"
	k3, _ := cacheKey("sha256:"+sha256Hex("a"), info)
	if k1 == k2 || k1 == k3 {
		t.Fatalf("keys collide: %s %s %s", k1, k2, k3)
	}
	// The key of a persistent cache must not change between releases.
	if want := "sha256:" + sha256Hex(`{"chainID":"sha256:`+sha256Hex("a")+`","configDigest":"sha256:`+sha256Hex("cfg")+`","engineVersion":"syft@v2"}`); k3 != want {
		t.Errorf("key = %s, want %s", k3, want)
	}
}
