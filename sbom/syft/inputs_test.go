package syft_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	packageurl "github.com/package-url/packageurl-go"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/oci"
	"github.com/stella-ops/stella/sbom/syft"
)

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestEngineVersionMatchesGoMod(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/anchore/syft").Output()
	if err != nil {
		testenv.Require(t, "the go command", err.Error())
	}
	if v := strings.TrimSpace(string(out)); v != syft.EngineVersion {
		t.Fatalf("go.mod requires syft %s but EngineVersion says %s: update it (and the pinned lists)", v, syft.EngineVersion)
	}
}

// goBinary builds testdata/gobin inside this module and returns its path.
func goBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Require(t, "the go command", "it is not on PATH")
	}
	out := filepath.Join(t.TempDir(), "gobin")
	cmd := exec.Command(goTool, "build", "-o", out, "./testdata/gobin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// goVersionM lists what `go version -m` reports: "path@version" for each
// dependency, plus stdlib at the toolchain version.
func goVersionM(t *testing.T, bin string) []string {
	t.Helper()
	b, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		switch {
		case first && len(f) == 2: // "<path>: go1.26.8"
			mods = append(mods, "stdlib@"+strings.TrimPrefix(f[1], "go"))
		case len(f) >= 3 && f[0] == "dep":
			mods = append(mods, f[1]+"@"+f[2])
		case len(f) >= 3 && f[0] == "=>":
			mods[len(mods)-1] = f[1] + "@" + f[2]
		}
	}
	slices.Sort(mods)
	return mods
}

func TestGoBinaryModulesEqualGoVersionM(t *testing.T) {
	bin := goBinary(t)
	doc := generate(t, sbom.File(bin))
	var got []string
	var main *sbom.Component
	for i, c := range doc.Components {
		if !strings.HasPrefix(c.PURL, "pkg:golang/") {
			continue
		}
		if c.Name == "github.com/stella-ops/stella" {
			main = &doc.Components[i]
			continue
		}
		// Compare the purl's version: syft writes stdlib's Version as "go1.26.8".
		p, err := packageurl.FromString(c.PURL)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Name+"@"+p.Version)
		if len(c.Locations) != 1 || c.Locations[0].Path != "gobin" {
			t.Errorf("%s locations = %+v, want the binary's base name", c.Name, c.Locations)
		}
	}
	slices.Sort(got)
	if want := goVersionM(t, bin); !slices.Equal(got, want) {
		t.Errorf("golang modules = %v\ngo version -m = %v", got, want)
	}
	if main == nil {
		t.Fatalf("the main module is missing from %s", mustJSON(t, doc.Components))
	}
	b, _ := os.ReadFile(bin)
	if want := []sbom.Hash{{Algorithm: "SHA-256", Value: strings.TrimPrefix(sha256Digest(b), "sha256:")}}; !slices.Equal(main.Hashes, want) {
		t.Errorf("main module hashes = %+v, want the binary's computed sha256", main.Hashes)
	}
	if doc.Subject.Kind != "file" || doc.Subject.Name != "gobin" || doc.Subject.Digest != sha256Digest(b) {
		t.Errorf("subject = %+v", doc.Subject)
	}
}

func TestLargeBinaryGetsNoComputedHash(t *testing.T) {
	b, err := os.ReadFile(goBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	// Padding after the ELF image keeps the build information readable.
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, append(b, make([]byte, 20<<20-len(b))...), 0o755); err != nil {
		t.Fatal(err)
	}
	doc := generate(t, sbom.File(big))
	found := false
	for _, c := range doc.Components {
		if c.Name == "github.com/stella-ops/stella" {
			found = true
			if len(c.Hashes) != 0 {
				t.Errorf("a 20 MiB file without a recorded digest has hashes %+v", c.Hashes)
			}
		}
	}
	if !found {
		t.Fatalf("the main module is missing from %s", mustJSON(t, doc.Components))
	}
}

func TestRegistryResolvesTagAndPlatform(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	amd64 := image(t, dpkgLayers(t)...)
	arm64 := image(t, dpkgLayers(t)[:1]...)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	ref, err := name.ParseReference(host + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	single, _ := name.ParseReference(host + "/team/single:v1")
	if err := remote.Write(single, amd64); err != nil {
		t.Fatal(err)
	}

	idxDigest, _ := idx.Digest()
	amdDigest, _ := amd64.Digest()
	doc := generate(t, oci.Registry(ref.String()))
	want := sbom.Subject{Kind: "image", Name: host + "/team/app", Digest: amdDigest.String(), IndexDigest: idxDigest.String(), Platform: "linux/amd64"}
	if doc.Subject != want {
		t.Errorf("subject = %+v, want %+v", doc.Subject, want)
	}
	if c := component(t, doc, "baz"); c == nil || c.Introduced == nil || c.Introduced.Index != 1 {
		t.Errorf("baz = %+v", c)
	}
	armDigest, _ := arm64.Digest()
	if doc := generate(t, oci.Registry(ref.String()), sbom.WithPlatform("linux/arm64")); doc.Subject.Digest != armDigest.String() {
		t.Errorf("arm64 subject = %+v", doc.Subject)
	}
	doc = generate(t, oci.Registry(single.String()))
	if doc.Subject.Digest != amdDigest.String() || doc.Subject.IndexDigest != "" {
		t.Errorf("single-image subject = %+v", doc.Subject)
	}
}

func TestDaemonImage(t *testing.T) {
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		testenv.Require(t, "Docker Engine", "/var/run/docker.sock does not exist")
	}
	img := image(t, dpkgLayers(t)...)
	archive := filepath.Join(t.TempDir(), "img.tar")
	tag, _ := name.NewTag("stella-test/sbom-daemon:v1")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("docker", "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v\n%s", err, b)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", tag.String()).Run() })
	doc := generate(t, oci.Daemon(tag.String()))
	want := generate(t, oci.FromImage("x", img))
	if mustJSON(t, doc.Components) != mustJSON(t, want.Components) {
		t.Errorf("daemon components differ:\n%s\n%s", mustJSON(t, doc.Components), mustJSON(t, want.Components))
	}
	if doc.Subject.Name != "index.docker.io/stella-test/sbom-daemon" {
		t.Errorf("subject = %+v", doc.Subject)
	}
}

// npmLock is the part of package-lock.json (v2/v3) the test compares.
type npmLock struct {
	Packages map[string]struct {
		Version string `json:"version"`
		Dev     bool   `json:"dev"`
	} `json:"packages"`
}

func TestNpmTreeEqualsLockfile(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		testenv.Require(t, "npm", "it is not on PATH (Debian package npm)")
	}
	dir := filepath.Join(t.TempDir(), "npmapp")
	if err := os.CopyFS(dir, os.DirFS("testdata/npmapp")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		testenv.Require(t, "the npm registry", "npm ci failed: "+err.Error()+"\n"+string(b))
	}
	raw, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock npmLock
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	var want []string
	for p, e := range lock.Packages {
		if p == "" {
			continue // the root project
		}
		name := p[strings.LastIndex(p, "node_modules/")+len("node_modules/"):]
		want = append(want, "pkg:npm/"+strings.Replace(name, "@", "%40", 1)+"@"+e.Version)
	}
	slices.Sort(want)
	want = slices.Compact(want)

	doc := generate(t, sbom.Dir(dir))
	var got []string
	for _, c := range doc.Components {
		if strings.HasPrefix(c.PURL, "pkg:npm/") && c.Name != "stella-npm-fixture" {
			got = append(got, c.PURL)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("npm purls = %v\nlockfile     = %v", got, want)
	}
}
