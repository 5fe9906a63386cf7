package version

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
)

const nativePairs = 300

// vectorVersions returns the distinct versions in the conformance files with
// the given prefix, sorted (so the random pairs are reproducible).
func vectorVersions(t *testing.T, prefix string) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, path := range vectorFiles(t) {
		if !strings.HasPrefix(filepath.Base(path), prefix) {
			continue
		}
		for _, v := range readVectors(t, path) {
			seen[v.a], seen[v.b] = true, true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func randomPairs(vs []string, n int) [][2]string {
	r := rand.New(rand.NewPCG(440, 1))
	out := make([][2]string, n)
	for i := range out {
		out[i] = [2]string{vs[r.IntN(len(vs))], vs[r.IntN(len(vs))]}
	}
	return out
}

// TestDpkgAgreesWithNative compares random pairs of Debian vector versions
// with dpkg --compare-versions.
func TestDpkgAgreesWithNative(t *testing.T) {
	testenv.Tool(t, "dpkg", "Debian package dpkg")
	vs := vectorVersions(t, "debian-")
	checked := 0
	for _, p := range randomPairs(vs, nativePairs) {
		native := 0
		if exec.Command("dpkg", "--compare-versions", p[0], "lt", p[1]).Run() == nil {
			native = -1
		} else if exec.Command("dpkg", "--compare-versions", p[0], "gt", p[1]).Run() == nil {
			native = 1
		}
		got, err := CompareStrings(Dpkg, p[0], p[1])
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got != native {
			t.Errorf("dpkg: Compare(%q, %q) = %d, dpkg --compare-versions says %d", p[0], p[1], got, native)
		}
		checked++
	}
	t.Logf("dpkg: %d random pairs agree with dpkg --compare-versions", checked)
}

// TestRPMAgreesWithNative compares random pairs of Red Hat vector versions
// with rpm's own rpm.vercmp (through rpm --eval and its Lua interpreter).
func TestRPMAgreesWithNative(t *testing.T) {
	testenv.Tool(t, "rpm", "Debian package rpm")
	vs := vectorVersions(t, "redhat-")
	pairs := randomPairs(vs, nativePairs)
	var script strings.Builder
	script.WriteString("%{lua:\n")
	for _, p := range pairs {
		fmt.Fprintf(&script, "print(rpm.vercmp([==[%s]==], [==[%s]==]) .. '\\n')\n", p[0], p[1])
	}
	script.WriteString("}")
	out, err := exec.Command("rpm", "--eval", script.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("rpm --eval: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(pairs) {
		t.Fatalf("rpm --eval printed %d results for %d pairs:\n%s", len(lines), len(pairs), out)
	}
	for i, p := range pairs {
		native, err := strconv.Atoi(lines[i])
		if err != nil {
			t.Fatalf("rpm result %q: %v", lines[i], err)
		}
		got, err := CompareStrings(RPM, p[0], p[1])
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got != sign(native) {
			t.Errorf("rpm: Compare(%q, %q) = %d, rpm.vercmp says %d", p[0], p[1], got, native)
		}
	}
	t.Logf("rpm: %d random pairs agree with rpm.vercmp", len(pairs))
}
