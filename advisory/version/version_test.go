package version

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
)

const vectorDir = "../../../shared/conformance/versions"

// vector is one line "a OP b" of a conformance file.
type vector struct {
	file string
	line int
	a, b string
	op   string
}

// vectorSchemes maps conformance file prefixes to the schemes they test.
var vectorSchemes = []struct {
	prefix string
	scheme Scheme
}{
	{"semver-", SemVer},
	{"semver-", NPM},
	{"semver-", Cargo},
	{"debian-", Dpkg},
	{"redhat-", RPM},
	{"alpine-", APK},
	{"maven-", Maven},
	{"nuget-", NuGet},
	{"pypi-", PEP440},
	{"rubygems-", RubyGems},
	{"packagist-", Composer},
}

// unsupportedVectorFiles are conformance files for ecosystems Stella has no
// scheme for, with the OSV ecosystem name that must report ErrUnsupported.
var unsupportedVectorFiles = map[string]string{
	"cran-":    "CRAN",
	"hackage-": "Hackage",
	"pub-":     "Pub",
}

// exclusions lists vectors deliberately not checked, "file:line" → reason.
var exclusions = map[string]string{}

func vectorFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if len(files) == 0 {
		testenv.Require(t, "the shared conformance folder", "no version vectors in "+vectorDir)
	}
	return files
}

func readVectors(t *testing.T, path string) []vector {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 || (fs[1] != "<" && fs[1] != ">" && fs[1] != "=") {
			t.Fatalf("%s:%d: malformed vector %q", filepath.Base(path), n, line)
		}
		vs = append(vs, vector{file: filepath.Base(path), line: n, a: fs[0], op: fs[1], b: fs[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func wantSign(op string) int {
	switch op {
	case "<":
		return -1
	case ">":
		return 1
	}
	return 0
}

func TestConformanceVectors(t *testing.T) {
	files := vectorFiles(t)
	counts := map[string]int{}
	checked := map[string]bool{}
	for _, path := range files {
		base := filepath.Base(path)
		matched := false
		for _, vs := range vectorSchemes {
			if !strings.HasPrefix(base, vs.prefix) {
				continue
			}
			matched = true
			checked[base] = true
			for _, v := range readVectors(t, path) {
				key := fmt.Sprintf("%s:%d", v.file, v.line)
				if _, ok := exclusions[key]; ok {
					continue
				}
				checkVector(t, vs.scheme, v)
				counts[vs.scheme.Name()]++
			}
		}
		for prefix, eco := range unsupportedVectorFiles {
			if strings.HasPrefix(base, prefix) {
				matched = true
				checked[base] = true
				var u *ErrUnsupported
				if _, err := ForEcosystem(eco); !errors.As(err, &u) || u.Ecosystem != eco {
					t.Errorf("%s: ForEcosystem(%q) = %v, want *ErrUnsupported", base, eco, err)
				}
				counts["unsupported:"+eco] += len(readVectors(t, path))
			}
		}
		if !matched {
			t.Errorf("%s: no scheme mapped to this conformance file", base)
		}
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %7s\n", "scheme", "vectors")
	for _, n := range names {
		fmt.Fprintf(&b, "%-22s %7d\n", n, counts[n])
	}
	fmt.Fprintf(&b, "exclusions: %d\n", len(exclusions))
	t.Logf("conformance vectors checked (each both ways):\n%s", b.String())
}

func checkVector(t *testing.T, s Scheme, v vector) {
	t.Helper()
	a, err := s.Parse(v.a)
	if err != nil {
		t.Errorf("%s:%d %s: %v", v.file, v.line, s.Name(), err)
		return
	}
	b, err := s.Parse(v.b)
	if err != nil {
		t.Errorf("%s:%d %s: %v", v.file, v.line, s.Name(), err)
		return
	}
	want := wantSign(v.op)
	if got := s.Compare(a, b); got != want {
		t.Errorf("%s:%d %s: Compare(%q, %q) = %d, want %d (%s)", v.file, v.line, s.Name(), v.a, v.b, got, want, v.op)
	}
	if got := s.Compare(b, a); got != -want {
		t.Errorf("%s:%d %s: Compare(%q, %q) = %d, want %d (reverse of %s)", v.file, v.line, s.Name(), v.b, v.a, got, -want, v.op)
	}
}

// TestSpecVectors holds the spec's named examples and rules the files do not
// cover (Go pseudo-versions, npm's loose prefixes, RPM's '^').
func TestSpecVectors(t *testing.T) {
	for _, tc := range []struct {
		s  Scheme
		a  string
		op string
		b  string
	}{
		{Dpkg, "1:1.0-1", ">", "0:2.0-1"},
		{Dpkg, "2.0~rc1", "<", "2.0"},
		{Dpkg, "3.0.11-1~deb12u1", "<", "3.0.11-1~deb12u2"},
		{Dpkg, "1.0", "=", "1.0-0"},
		{RPM, "1.2-3.el9_2", ">", "1.2-3"},
		{RPM, "1.0", "<", "1.0^git1"},
		{RPM, "1.0^git1", "<", "1.0.1"},
		{RPM, "1.0~rc1", "<", "1.0"},
		{RPM, "1:1.0-1", ">", "2.0-1"},
		{RPM, "1.2", "<", "1.2-3"}, // total order; CompareBound ignores a missing bound release
		{APK, "1.2.3-r1", ">", "1.2.3-r0"},
		{APK, "1.2a", ">", "1.2"},
		{APK, "1.2_rc1", "<", "1.2"},
		{APK, "1.2_p1", ">", "1.2"},
		{Go, "v1.2.3", "=", "1.2.3"},
		{Go, "v0.0.0-20200101000000-abcdefabcdef", "<", "v0.0.0-20210101000000-abcdefabcdef"},
		{Go, "v1.2.4-0.20200101000000-abcdefabcdef", ">", "v1.2.3"},
		{Go, "v1.2.4-0.20200101000000-abcdefabcdef", "<", "v1.2.4"},
		{Go, "v2.0.0+incompatible", "=", "v2.0.0"},
		{Go, "v2.0.0+incompatible", ">", "v1.9.9"},
		{NPM, "=v1.2.3", "=", "1.2.3"},
		{NPM, " 1.2.3-beta.2 ", "<", "1.2.3-beta.11"},
		{Cargo, "0.10.0", ">", "0.9.9"},
		{SemVer, "1.0.0+build.1", "=", "1.0.0+build.2"},
		{PEP440, "1.0a1", "=", "1.0.0a1"},
		{PEP440, "1.0", "=", "1.0.0"},
		{PEP440, "1!0.1", ">", "2.0"},
		{PEP440, "1.0.dev0", "<", "1.0a0"},
		{PEP440, "1.0rc1", "<", "1.0"},
		{PEP440, "1.0", "<", "1.0.post1"},
		{PEP440, "1.0.post1.dev1", "<", "1.0.post1"},
		{PEP440, "1.0+abc", ">", "1.0"},
		{PEP440, "1.0ALPHA1", "=", "1.0a1"},
		{PEP440, "1.0c1", "=", "1.0rc1"},
		{Maven, "1.0-alpha", "<", "1.0-beta"},
		{Maven, "1.0-beta", "<", "1.0-milestone"},
		{Maven, "1.0-milestone", "<", "1.0-rc"},
		{Maven, "1.0-rc", "=", "1.0-cr"},
		{Maven, "1.0-rc", "<", "1.0-snapshot"},
		{Maven, "1.0-snapshot", "<", "1.0"},
		{Maven, "1.0", "<", "1.0-sp"},
		{Maven, "1.0-sp", "<", "1.0-foo"},
		{Maven, "1.0", "=", "1.0-ga"},
		{NuGet, "1.0.0.1", ">", "1.0.0"},
		{NuGet, "1.0.0-RC.1", "=", "1.0.0-rc.1"},
		{RubyGems, "1.0.a", "<", "1.0"},
		{Composer, "v1.0.0", "=", "1.0.0"},
		{Composer, "1.0.0-dev", "<", "1.0.0-alpha1"},
		{Composer, "1.0.0-RC1", "<", "1.0.0"},
		{Composer, "1.0.0", "<", "1.0.0-patch1"},
	} {
		checkVector(t, tc.s, vector{file: "spec", a: tc.a, op: tc.op, b: tc.b})
	}
}

func TestForEcosystem(t *testing.T) {
	for eco, want := range map[string]Scheme{
		"Go": Go, "npm": NPM, "PyPI": PEP440, "Maven": Maven, "NuGet": NuGet,
		"RubyGems": RubyGems, "crates.io": Cargo, "Packagist": Composer,
		"Debian": Dpkg, "Debian:12": Dpkg, "Ubuntu": Dpkg, "Ubuntu:22.04:LTS": Dpkg,
		"Alpine": APK, "Alpine:v3.19": APK, "Red Hat": RPM, "Red Hat:enterprise_linux:9": RPM,
		"AlmaLinux": RPM, "AlmaLinux:9": RPM, "Rocky Linux": RPM, "Rocky Linux:8": RPM,
		"golang": Go, "pypi": PEP440, "maven": Maven, "nuget": NuGet, "gem": RubyGems,
		"cargo": Cargo, "composer": Composer, "deb": Dpkg, "rpm": RPM, "apk": APK,
	} {
		got, err := ForEcosystem(eco)
		if err != nil || got != want {
			t.Errorf("ForEcosystem(%q) = %v, %v; want %s", eco, got, err, want.Name())
		}
	}
	for _, eco := range []string{"", "CRAN", "Hackage", "Pub", "Hex", "SwiftURL", "GIT", "go", "debian ", "pkg:deb"} {
		s, err := ForEcosystem(eco)
		var u *ErrUnsupported
		if s != nil || !errors.As(err, &u) || u.Ecosystem != eco {
			t.Errorf("ForEcosystem(%q) = %v, %v; want *ErrUnsupported naming it", eco, s, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		s Scheme
		v string
	}{
		{SemVer, "1.x"}, {SemVer, ""}, {SemVer, "1.0.0-"}, {Go, "1.2.3.4"}, {Go, "latest"},
		{NuGet, "1.2.3.4.5"}, {Dpkg, "a:1.0"}, {Dpkg, ""}, {Dpkg, "1.0-"}, {RPM, ""}, {RubyGems, "1.0 beta"}, {APK, ""}, {Maven, ""}, {PEP440, " "},
	} {
		if _, err := tc.s.Parse(tc.v); err == nil {
			t.Errorf("%s.Parse(%q): no error", tc.s.Name(), tc.v)
		}
	}
}

// StrictSemVer refuses what SemVer 2.0.0 refuses and orders the rest as
// SemVer does.
func TestStrictSemVer(t *testing.T) {
	for _, v := range []string{"1.0", "1", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-01", " 1.2.3", "V1.2.3", "1.2.3-", "1.2.3+"} {
		if _, err := StrictSemVer.Parse(v); err == nil {
			t.Errorf("StrictSemVer.Parse(%q): no error", v)
		}
	}
	for _, tc := range []struct{ a, op, b string }{
		{"v1.2.3", "=", "1.2.3"},
		{"1.0.0-rc.2", "<", "1.0.0-rc.10"},
		{"1.0.0-0", "<", "1.0.0-alpha"},
		{"1.2.3+build.01", "=", "1.2.3"},
		{"0.10.0", ">", "0.9.9"},
	} {
		checkVector(t, StrictSemVer, vector{file: "spec", a: tc.a, op: tc.op, b: tc.b})
	}
}

func TestCompareForeignVersionPanics(t *testing.T) {
	v, err := SemVer.Parse("1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Dpkg.Compare of a semver Version did not panic")
		}
	}()
	Dpkg.Compare(v, v)
}

func TestCompareBound(t *testing.T) {
	for _, tc := range []struct {
		s        Scheme
		v, bound string
		want     int
	}{
		{RPM, "1.2-3.el9_2", "1.2", 0},
		{RPM, "1.2-3.el9_2", "1.3", -1},
		{RPM, "1:1.2-3", "1.2", 1},
		{RPM, "1.2-3.el9_2", "1.2-3", 1},
		{Dpkg, "1.2-3", "1.2", 1},
	} {
		v, err := tc.s.Parse(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := tc.s.Parse(tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		if got := CompareBound(tc.s, v, b); got != tc.want {
			t.Errorf("CompareBound(%s, %q, %q) = %d, want %d", tc.s.Name(), tc.v, tc.bound, got, tc.want)
		}
	}
}

func TestExplain(t *testing.T) {
	a, _ := Dpkg.Parse("3.0.11-1~deb12u1")
	b, _ := Dpkg.Parse("3.0.11-1~deb12u2")
	if got, want := Explain(Dpkg, a, b), "dpkg: 3.0.11-1~deb12u1 < 3.0.11-1~deb12u2"; got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}
