package syft_test

import (
	"archive/tar"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/oci"
)

// DebianRootfsEnv names a root filesystem made by
// testdata/make-debian-rootfs.sh (debootstrap --variant=minbase bookworm).
const DebianRootfsEnv = "STELLA_TEST_DEBIAN_ROOTFS"

// BenchLayoutEnv names where BenchmarkDebianImage keeps the OCI layout it
// builds from the rootfs, so that bench/sbom.sh can give syft the same input.
const BenchLayoutEnv = "STELLA_BENCH_OCI_LAYOUT"

func debianRootfs(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(DebianRootfsEnv)
	if dir == "" {
		testenv.Require(t, "a Debian rootfs", DebianRootfsEnv+" is unset; build one with sbom/syft/testdata/make-debian-rootfs.sh")
	}
	if _, err := os.Stat(filepath.Join(dir, "var/lib/dpkg/status")); err != nil {
		t.Fatalf("%s=%s is not a Debian rootfs: %v", DebianRootfsEnv, dir, err)
	}
	return dir
}

// dpkgQuery is `dpkg-query -W` on the rootfs: "name version source
// source-version" per installed package.
func dpkgQuery(t testing.TB, rootfs string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(rootfs, "var/lib/dpkg"), "-W",
		"-f", "${Package} ${Version} ${source:Package} ${source:Version}\n").Output()
	if err != nil {
		testenv.Require(t, "dpkg-query", err.Error())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	return lines
}

func debPackages(doc *sbom.Document) []string {
	var out []string
	for _, c := range doc.Components {
		if !strings.HasPrefix(c.PURL, "pkg:deb/") {
			continue
		}
		var src, srcVersion string
		if c.Source != nil {
			src, srcVersion = c.Source.Name, c.Source.Version
		}
		out = append(out, strings.Join([]string{c.Name, c.Version, src, srcVersion}, " "))
	}
	slices.Sort(out)
	return out
}

// rootfsTar writes the rootfs as one layer tar: names relative, no "./".
func rootfsTar(t testing.TB, rootfs, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == rootfs {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(rootfs, p)
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			src.Close()
			return err
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

// debianImage is the rootfs as a one-layer image in an OCI layout under dir
// (reused when it is there already).
func debianImage(t testing.TB, rootfs, dir string) string {
	t.Helper()
	if _, err := layout.ImageIndexFromPath(dir); err == nil {
		return dir
	}
	layerTar := filepath.Join(t.TempDir(), "rootfs.tar")
	rootfsTar(t, rootfs, layerTar)
	l, err := tarball.LayerFromFile(layerTar)
	if err != nil {
		t.Fatal(err)
	}
	img := image(t, l)
	os.RemoveAll(dir)
	return writeLayout(t, dir, img)
}

func TestDebianRootfsEqualsDpkgQuery(t *testing.T) {
	rootfs := debianRootfs(t)
	want := dpkgQuery(t, rootfs)
	if len(want) < 50 {
		t.Fatalf("dpkg-query lists only %d packages", len(want))
	}

	dirDoc := generate(t, sbom.Dir(rootfs))
	if got := debPackages(dirDoc); !slices.Equal(got, want) {
		t.Errorf("directory scan deb packages differ from dpkg-query:\n got %q\nwant %q", got, want)
	}

	layoutDir := debianImage(t, rootfs, filepath.Join(t.TempDir(), "bookworm"))
	imgDoc := generate(t, oci.Layout(layoutDir))
	if got := debPackages(imgDoc); !slices.Equal(got, want) {
		t.Errorf("image scan deb packages differ from dpkg-query:\n got %q\nwant %q", got, want)
	}
	diffID := imgDoc.Layers[0].DiffID
	for _, c := range imgDoc.Components {
		if c.Introduced == nil || c.Introduced.DiffID != diffID {
			t.Errorf("%s has no layer: %+v", c.Identity(), c.Introduced)
		}
		if c.PURL != "" && strings.HasPrefix(c.PURL, "pkg:deb/") && !strings.Contains(c.PURL, "distro=debian-12") {
			t.Errorf("%s lacks the distro qualifier", c.PURL)
		}
	}
	if c := component(t, imgDoc, "debian"); c == nil || c.Type != "operating-system" {
		t.Errorf("no operating-system component")
	}
}

// BenchmarkDebianImage generates the SBOM of the debootstrap image (one
// layer, about 90 packages). bench/sbom.sh compares it with the syft CLI.
func BenchmarkDebianImage(b *testing.B) {
	rootfs := debianRootfs(b)
	dir := os.Getenv(BenchLayoutEnv)
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "bookworm")
	}
	layoutDir := debianImage(b, rootfs, dir)
	c := newCataloger(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := sbom.Generate(context.Background(), oci.Layout(layoutDir), sbom.WithCataloger(c)); err != nil {
			b.Fatal(err)
		}
	}
}
