package server_test

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"

func dpkgEntry(pkg, source, version string) string {
	return "Package: " + pkg + "\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 100\n" +
		"Maintainer: Debian <debian@example.org>\nArchitecture: amd64\nSource: " + source + "\nVersion: " + version + "\nDescription: " + pkg + "\n"
}

// debianImage is an image whose one layer holds os-release and a dpkg status
// file listing openssl at the given version and zlib1g.
func debianImage(t *testing.T, opensslVersion string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	status := dpkgEntry("openssl", "openssl", opensslVersion) + "\n" + dpkgEntry("zlib1g", "zlib", "1:1.2.13.dfsg-1")
	for _, f := range []struct{ name, body string }{{"etc/os-release", osRelease}, {"var/lib/dpkg/status", status}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (e *env) pushImage(repo, tag string, img v1.Image) string {
	e.t.Helper()
	ref, _ := name.ParseReference(e.registry+"/"+repo+":"+tag, name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		e.t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

func TestScanReleaseAndSearchPackages(t *testing.T) {
	e := newEnv(t, "")
	oldDigest := e.pushImage("team/api", "v1.0.0", debianImage(t, "3.0.11-1~deb12u1"))
	e.pushImage("team/api", "v1.1.0", debianImage(t, "3.0.13-1~deb12u1"))
	e.ok(e.admin, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": e.registry, "insecure": true}})
	e.ok(e.admin, `mutation { createComponent(input: {name: "api", imageRepository: "team/api", registry: "hub"}) { id } }`, nil)
	for _, r := range []struct{ name, tag string }{{"myapp-v1.0.0", "v1.0.0"}, {"myapp-v1.1.0", "v1.1.0"}, {"other-v1", "v1.0.0"}} {
		e.ok(e.admin, `mutation($n: String!) { createRelease(input: {name: $n}) { id } }`, map[string]any{"n": r.name})
		e.ok(e.admin, `mutation($n: String!, $t: String!) { addReleaseComponent(release: $n, input: {component: "api", tag: $t}) { id } }`, map[string]any{"n": r.name, "t": r.tag})
		e.ok(e.admin, `mutation($n: String!) { finalizeRelease(key: $n) { id } }`, map[string]any{"n": r.name})
	}

	scan := `mutation($n: String!) { scanRelease(key: $n) { scanned reused sboms { component imageDigest sbom { contentDigest format packageCount } } } }`
	first := e.ok(e.admin, scan, map[string]any{"n": "myapp-v1.0.0"})
	if path(first, "scanRelease", "scanned") != 1.0 || path(first, "scanRelease", "reused") != 0.0 {
		t.Fatalf("first scan = %v", first)
	}
	s := path(first, "scanRelease", "sboms").([]any)[0]
	if path(s, "imageDigest") != oldDigest || path(s, "sbom", "format") != "cyclonedx-json@1.7" || !strings.HasPrefix(path(s, "sbom", "contentDigest").(string), "sha256:") {
		t.Fatalf("scanned sbom = %v", s)
	}
	// The same image in another release is not scanned again.
	if again := e.ok(e.admin, scan, map[string]any{"n": "other-v1"}); path(again, "scanRelease", "scanned") != 0.0 || path(again, "scanRelease", "reused") != 1.0 {
		t.Fatalf("second release with the same image = %v", again)
	}
	e.ok(e.admin, scan, map[string]any{"n": "myapp-v1.1.0"})

	pkgs := e.ok(e.admin, `{ release(key: "myapp-v1.0.0") { sboms { sbom { packages(type: "deb") { identity name version } } } } }`, nil)
	list := path(path(pkgs, "release", "sboms").([]any)[0], "sbom", "packages").([]any)
	var names []string
	for _, p := range list {
		names = append(names, path(p, "name").(string)+"@"+path(p, "version").(string))
	}
	if strings.Join(names, ",") != "openssl@3.0.11-1~deb12u1,zlib1g@1:1.2.13.dfsg-1" {
		t.Fatalf("deb packages of myapp-v1.0.0 = %v", names)
	}

	hits := e.ok(e.admin, `{ packageSearch(purl: "pkg:deb/debian/openssl", versionBelow: "3.0.12") { package { version } imageDigest releases { name } } }`, nil)
	hs := path(hits, "packageSearch").([]any)
	if len(hs) != 1 || path(hs[0], "imageDigest") != oldDigest {
		t.Fatalf("openssl below 3.0.12 = %v, want only the old image", hs)
	}
	var rels []string
	for _, r := range path(hs[0], "releases").([]any) {
		rels = append(rels, path(r, "name").(string))
	}
	if strings.Join(rels, ",") != "other-v1,myapp-v1.0.0" {
		t.Fatalf("releases with openssl below 3.0.12 = %v", rels)
	}
	if r := e.gql(e.admin, `{ packageSearch(purl: "openssl") { imageDigest } }`, nil); r.code() != "VALIDATION" {
		t.Fatalf("a query that is not a purl = %+v, want VALIDATION", r.Errors)
	}
	// versionBelow is ordered by the purl type's version scheme, so it must
	// have one and the bound must parse in it.
	for _, q := range []string{
		`{ packageSearch(purl: "pkg:generic/openssl", versionBelow: "3.0.12") { imageDigest } }`,
		`{ packageSearch(purl: "pkg:deb/debian/openssl", versionBelow: "a:1") { imageDigest } }`,
	} {
		if r := e.gql(e.admin, q, nil); r.code() != "VALIDATION" {
			t.Fatalf("%s = %+v, want VALIDATION", q, r.Errors)
		}
	}
}
