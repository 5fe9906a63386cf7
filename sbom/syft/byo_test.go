package syft_test

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
)

// SyftCLIEnv names the syft command of the same version as the library
// (.ci/run installs it with go install, outside the repository).
const SyftCLIEnv = "STELLA_TEST_SYFT_CLI"

// packageSet is the normalized package set of a document: the purls, sorted,
// with the distro qualifier dropped (syft writes it only for some catalogers).
func packageSet(d *sbom.Document) []string {
	var out []string
	for _, c := range d.Components {
		if c.PURL == "" || c.Type == "operating-system" {
			continue
		}
		p, _, _ := strings.Cut(c.PURL, "?")
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Bring your own SBOM: a CycloneDX file written by the syft CLI comes into the
// same model, with the same packages as Stella's SBOM of the same tree.
func TestSyftCLISBOMHasTheSamePackages(t *testing.T) {
	rootfs := debianRootfs(t)
	cli := os.Getenv(SyftCLIEnv)
	if cli == "" {
		testenv.Require(t, "the syft CLI", SyftCLIEnv+" is unset; install it with go install github.com/anchore/syft/cmd/syft@<the go.mod version>")
	}
	out, err := exec.Command(cli, "scan", "dir:"+rootfs, "-o", "cyclonedx-json", "-q").Output()
	if err != nil {
		t.Fatalf("syft CLI: %v", err)
	}
	theirs, format, err := codec.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the syft CLI's SBOM: %v", err)
	}
	if !strings.HasPrefix(string(format), "cyclonedx-json@") {
		t.Fatalf("detected format %s", format)
	}
	ours := generate(t, sbom.Dir(rootfs))
	got, want := packageSet(theirs), packageSet(ours)
	if len(want) < 80 || !slices.Equal(got, want) {
		t.Fatalf("package sets differ: syft CLI %d, Stella %d\nonly syft: %v\nonly Stella: %v", len(got), len(want), minus(got, want), minus(want, got))
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
