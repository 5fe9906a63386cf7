package syft_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/oci"
	"github.com/stella-ops/stella/sbom/syft"
)

func newCataloger(t testing.TB) *syft.Cataloger {
	t.Helper()
	c, err := syft.New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// file is one tar entry of a test layer; a name starting with ".wh." in its
// base is a whiteout.
type file struct{ name, body string }

func layer(t testing.TB, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.body)),
			ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
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

type deb struct{ name, version, source string }

func dpkgStatus(pkgs ...deb) string {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 10\n"+
			"Maintainer: Test <test@example.org>\nArchitecture: amd64\n", p.name)
		if p.source != "" {
			fmt.Fprintf(&b, "Source: %s\n", p.source)
		}
		fmt.Fprintf(&b, "Version: %s\nDescription: %s for tests\n\n", p.version, p.name)
	}
	return b.String()
}

const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n" +
	"VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"

var (
	libfoo10 = deb{"libfoo", "1.0-1", "foo"}
	libfoo11 = deb{"libfoo", "1.1-1", "foo (1.1-1)"}
	bar      = deb{"bar", "2.0-1", ""}
	baz      = deb{"baz", "3.0-1", ""}
)

// dpkgLayers are the four layers of the attribution fixture (sbom.md §4):
// 0 the OS with libfoo 1.0 and bar; 1 adds baz; 2 upgrades libfoo to 1.1;
// 3 removes bar, whiting out its files.
func dpkgLayers(t testing.TB) []v1.Layer {
	status := "var/lib/dpkg/status"
	return []v1.Layer{
		layer(t, file{"etc/os-release", osRelease}, file{status, dpkgStatus(libfoo10, bar)},
			file{"usr/share/doc/libfoo/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n" +
				"Files: *\nCopyright: test\nLicense: MIT\n"},
			file{"usr/bin/bar", "#!/bin/sh\n"}),
		layer(t, file{status, dpkgStatus(libfoo10, bar, baz)}),
		layer(t, file{status, dpkgStatus(libfoo11, bar, baz)}),
		layer(t, file{status, dpkgStatus(libfoo11, baz)}, file{"usr/bin/.wh.bar", ""}),
	}
}

func image(t testing.TB, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeLayout(t testing.TB, dir string, img v1.Image) string {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tarDir archives dir's contents with names relative to it and no "./"
// entry (syft and others reject one).
func tarDir(t testing.TB, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tw.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func generate(t testing.TB, src sbom.Source, opts ...sbom.Option) *sbom.Document {
	t.Helper()
	opts = append([]sbom.Option{sbom.WithCataloger(newCataloger(t)), sbom.WithToolVersion("test")}, opts...)
	doc, err := sbom.Generate(context.Background(), src, opts...)
	if err != nil {
		t.Fatalf("Generate(%s): %v", src, err)
	}
	return doc
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func component(t testing.TB, d *sbom.Document, name string) *sbom.Component {
	t.Helper()
	for i := range d.Components {
		if d.Components[i].Name == name {
			return &d.Components[i]
		}
	}
	return nil
}

func property(ps []sbom.Property, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func TestImageLayerAttribution(t *testing.T) {
	img := image(t, dpkgLayers(t)...)
	dir := writeLayout(t, filepath.Join(t.TempDir(), "app"), img)
	doc := generate(t, oci.Layout(dir))

	digest, _ := img.Digest()
	if doc.Subject.Kind != "image" || doc.Subject.Name != "app" || doc.Subject.Digest != digest.String() || doc.Subject.Platform != "linux/amd64" {
		t.Errorf("subject = %+v", doc.Subject)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !doc.Timestamp.Equal(want) {
		t.Errorf("timestamp = %v, want the image's created time %v", doc.Timestamp, want)
	}
	if len(doc.Layers) != 4 {
		t.Fatalf("layers = %+v", doc.Layers)
	}
	layerOf := func(i int) *sbom.LayerRef { return &sbom.LayerRef{DiffID: doc.Layers[i].DiffID, Index: i} }
	for _, tc := range []struct {
		name, purl           string
		introduced           int
		firstSeen            *sbom.LayerRef
		source, sourceVerson string
	}{
		{"libfoo", "pkg:deb/debian/libfoo@1.1-1?arch=amd64&distro=debian-12&upstream=foo%401.1-1", 2, layerOf(0), "foo", "1.1-1"},
		{"baz", "pkg:deb/debian/baz@3.0-1?arch=amd64&distro=debian-12", 1, nil, "baz", "3.0-1"},
		{"debian", "", 0, nil, "", ""},
	} {
		c := component(t, doc, tc.name)
		if c == nil {
			t.Errorf("%s missing from %s", tc.name, mustJSON(t, doc.Components))
			continue
		}
		if tc.purl != "" && c.PURL != tc.purl {
			t.Errorf("%s purl = %s, want %s", tc.name, c.PURL, tc.purl)
		}
		if c.Introduced == nil || *c.Introduced != *layerOf(tc.introduced) {
			t.Errorf("%s introduced = %+v, want layer %d", tc.name, c.Introduced, tc.introduced)
		}
		if (c.FirstSeen == nil) != (tc.firstSeen == nil) || (c.FirstSeen != nil && *c.FirstSeen != *tc.firstSeen) {
			t.Errorf("%s firstSeen = %+v, want %+v", tc.name, c.FirstSeen, tc.firstSeen)
		}
		if tc.source != "" && (c.Source == nil || c.Source.Name != tc.source || c.Source.Version != tc.sourceVerson) {
			t.Errorf("%s source = %+v, want %s %s", tc.name, c.Source, tc.source, tc.sourceVerson)
		}
		for _, l := range c.Locations {
			if l.DiffID == "" || strings.HasPrefix(l.Path, "/") {
				t.Errorf("%s location %+v: want a relative path and a layer", tc.name, l)
			}
		}
	}
	if c := component(t, doc, "bar"); c != nil {
		t.Errorf("bar was removed in layer 3 but is listed: %+v", c)
	}
	if c := component(t, doc, "libfoo"); c != nil && mustJSON(t, c.Licenses) != `[{"id":"MIT"}]` {
		t.Errorf("libfoo licenses = %s", mustJSON(t, c.Licenses))
	}
	osc := component(t, doc, "debian")
	if osc == nil || osc.Type != "operating-system" || property(osc.Properties, sbom.PropOSCodename) != "bookworm" ||
		property(osc.Properties, sbom.PropOSVersionID) != "12" {
		t.Errorf("operating system component = %+v", osc)
	}

	// The Merkle root and composition digest recompute from the document.
	comp, err := sbom.Compose(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := property(doc.Properties, sbom.PropMerkleRoot); got != comp.MerkleRoot || got == "" {
		t.Errorf("merkle root %s, recomputed %s", got, comp.MerkleRoot)
	}
	leaves := []string{}
	for i, f := range comp.Fragments {
		b, _ := sbom.FragmentBytes(doc, i)
		if f.LayerIndex != i || f.DiffID != doc.Layers[i].DiffID || f.FragmentDigest != sha256Digest(b) {
			t.Errorf("fragment %d = %+v", i, f)
		}
		leaves = append(leaves, f.FragmentDigest)
	}
	if root, _ := sbom.MerkleRoot(leaves); root != comp.MerkleRoot {
		t.Errorf("merkle root over fragment digests = %s, want %s", root, comp.MerkleRoot)
	}
	if d, _ := comp.Digest(); property(doc.Properties, sbom.PropComposition) != d {
		t.Errorf("composition digest %s, recomputed %s", property(doc.Properties, sbom.PropComposition), d)
	}
	if property(doc.Properties, sbom.PropConfigDigest) != newCataloger(t).Info().ConfigDigest {
		t.Errorf("config digest missing from %+v", doc.Properties)
	}
}

func TestImageSourcesAgreeAndAreDeterministic(t *testing.T) {
	img := image(t, dpkgLayers(t)...)
	tmp := t.TempDir()
	dir := writeLayout(t, filepath.Join(tmp, "a", "app"), img)
	first := mustJSON(t, generate(t, oci.Layout(dir)))
	if again := mustJSON(t, generate(t, oci.Layout(dir))); again != first {
		t.Fatalf("a second scan differs:\n%s\n%s", first, again)
	}
	// A copy at another path gives the same document.
	other := filepath.Join(tmp, "b", "elsewhere", "app")
	if err := os.CopyFS(other, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, generate(t, oci.Layout(other))); got != first {
		t.Fatalf("a copy at another path differs:\n%s\n%s", first, got)
	}
	// The same image as an OCI archive and a docker archive: same inventory.
	ociTar := filepath.Join(tmp, "app.tar")
	tarDir(t, dir, ociTar)
	dockerTar := filepath.Join(tmp, "docker", "app.tar")
	os.MkdirAll(filepath.Dir(dockerTar), 0o755)
	if err := tarball.WriteToFile(dockerTar, nil, img); err != nil {
		t.Fatal(err)
	}
	want := mustJSON(t, generate(t, oci.Layout(dir)).Components)
	for _, src := range []sbom.Source{oci.Archive(ociTar), oci.DockerArchive(dockerTar)} {
		doc := generate(t, src)
		if got := mustJSON(t, doc.Components); got != want {
			t.Errorf("%s components differ:\n%s\n%s", src, want, got)
		}
		if doc.Subject.Name != "app.tar" {
			t.Errorf("%s subject name = %q, want the base name", src, doc.Subject.Name)
		}
	}
	if strings.Contains(first, tmp) {
		t.Error("the document contains a host path")
	}
}

func TestCacheRecatalogsOnlyNewPrefixes(t *testing.T) {
	layers := dpkgLayers(t)
	v1img := image(t, layers[:3]...)
	v2img := image(t, layers...)
	cache := sbom.NewMemoryCache()
	generate(t, oci.FromImage("app", v1img), sbom.WithCache(cache))
	if s := cache.Stats(); s.Misses != 3 || s.Puts != 3 {
		t.Fatalf("cold scan stats = %+v, want 3 misses", s)
	}
	warm := generate(t, oci.FromImage("app", v2img), sbom.WithCache(cache))
	if s := cache.Stats(); s.Hits != 3 || s.Misses != 4 || s.Puts != 4 {
		t.Fatalf("second scan stats = %+v, want 3 hits and 1 new miss", s)
	}
	cold := generate(t, oci.FromImage("app", v2img))
	if mustJSON(t, warm) != mustJSON(t, cold) {
		t.Fatalf("cached scan differs from a cold one:\n%s\n%s", mustJSON(t, warm), mustJSON(t, cold))
	}
	// All prefixes cached: nothing is unpacked or cataloged, same output.
	again := generate(t, oci.FromImage("app", v2img), sbom.WithCache(cache))
	if s := cache.Stats(); s.Hits != 7 || s.Puts != 4 || mustJSON(t, again) != mustJSON(t, cold) {
		t.Fatalf("fully cached scan: stats %+v, same output %v", s, mustJSON(t, again) == mustJSON(t, cold))
	}
}

func TestProgressIsReported(t *testing.T) {
	stages := map[string]bool{}
	generate(t, oci.FromImage("app", image(t, dpkgLayers(t)...)), sbom.WithProgress(func(stage string, done, total int) {
		if done > total {
			t.Errorf("%s: done %d > total %d", stage, done, total)
		}
		stages[stage] = true
	}))
	for _, s := range []string{"resolve", "catalog", "compose"} {
		if !stages[s] {
			t.Errorf("stage %s not reported", s)
		}
	}
}

// unpacking hides CatalogPrefixes, so that the image source unpacks layers
// into a directory and catalogs it after each layer.
type unpacking struct{ sbom.Cataloger }

func TestUnpackedLayersGiveTheSameDocument(t *testing.T) {
	img := image(t, dpkgLayers(t)...)
	inPlace := generate(t, oci.FromImage("app", img))
	stages := map[string]bool{}
	unpacked := generate(t, oci.FromImage("app", img), sbom.WithCataloger(unpacking{newCataloger(t)}),
		sbom.WithProgress(func(stage string, _, _ int) { stages[stage] = true }))
	if a, b := mustJSON(t, inPlace), mustJSON(t, unpacked); a != b {
		t.Fatalf("layers read in place and unpacked give different documents:\n%s\n%s", a, b)
	}
	if !stages["layers"] {
		t.Error("the unpack stage was not reported")
	}
}
