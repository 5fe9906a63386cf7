package policy

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/canon"
)

var bundleFiles = map[string]string{
	"release.rego":             kevPolicy,
	"lib/severity.rego":        "package stella.lib\n\nrank := {\"low\": 1, \"high\": 3}\n",
	"release_test.rego":        "package stella.release_test\n\ntest_nothing if { true }\n",
	"data.json":                `{"stella": {"graceDays": 14}}`,
	"lib/more/extra.rego":      "package stella.extra\n\nx := 1\n",
	"lib/more/extra_test.rego": "package stella.extra_test\n\ntest_x if { data.stella.extra.x == 1 }\n",
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDigestIsTheJCSOfTheSortedFileList(t *testing.T) {
	b := mustBundle(t, map[string]string{"b.rego": "package b\n", "a.rego": "package a\n"})
	want, err := canon.Digest(map[string]any{"files": []map[string]string{
		{"path": "a.rego", "sha256": strings.TrimPrefix(canon.SHA256([]byte("package a\n")), "sha256:")},
		{"path": "b.rego", "sha256": strings.TrimPrefix(canon.SHA256([]byte("package b\n")), "sha256:")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest() != want {
		t.Errorf("digest %s, want %s", b.Digest(), want)
	}
}

func TestDigestDoesNotDependOnOrderOrSource(t *testing.T) {
	first := mustBundle(t, bundleFiles).Digest()
	for range 20 { // map iteration order differs between runs
		if d := mustBundle(t, bundleFiles).Digest(); d != first {
			t.Fatalf("digest changed between builds: %s then %s", first, d)
		}
	}
	loaded, err := Load(writeDir(t, bundleFiles))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Digest() != first {
		t.Errorf("Load digest %s, FromFiles digest %s", loaded.Digest(), first)
	}
	again, err := FromFiles(loaded.Files())
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest() != first {
		t.Errorf("FromFiles(Files()) digest %s, want %s", again.Digest(), first)
	}
}

func TestDigestChangesWithAnyByteOrPath(t *testing.T) {
	base := mustBundle(t, bundleFiles).Digest()
	for p := range bundleFiles {
		changed := maps.Clone(bundleFiles)
		changed[p] += " "
		if d := mustBundle(t, changed).Digest(); d == base {
			t.Errorf("appending a byte to %s left the digest unchanged", p)
		}
	}
	renamed := maps.Clone(bundleFiles)
	renamed["lib/severity2.rego"] = renamed["lib/severity.rego"]
	delete(renamed, "lib/severity.rego")
	if d := mustBundle(t, renamed).Digest(); d == base {
		t.Error("renaming a file left the digest unchanged")
	}
}

func TestTestFilesAreDigestedButNotEvaluated(t *testing.T) {
	files := map[string]string{
		"release.rego": kevPolicy,
		// Would make deny conflict if it were loaded.
		"release_test.rego": "package stella.release\n\ndeny := 1\n",
	}
	b := mustBundle(t, files)
	if got := b.Paths(); len(got) != 2 || got[1] != "release_test.rego" {
		t.Errorf("Paths() = %v, want both files", got)
	}
	without := mustBundle(t, map[string]string{"release.rego": kevPolicy})
	if b.Digest() == without.Digest() {
		t.Error("a _test.rego file does not change the digest")
	}
	p := mustPrepare(t, files)
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatalf("the _test.rego module was evaluated: %v", err)
	}
	if len(out.Deny) != 1 {
		t.Errorf("deny = %v, want the kev-in-prod rule", out.Deny)
	}
}

func TestLoadIgnoresOtherFilesAndReadsDataJSON(t *testing.T) {
	files := maps.Clone(bundleFiles)
	dir := writeDir(t, files)
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest() != mustBundle(t, bundleFiles).Digest() {
		t.Error("README.md changed the digest")
	}
	if _, ok := b.Files()["README.md"]; ok {
		t.Error("README.md is in the bundle")
	}
	if b.data["stella"] == nil {
		t.Error("data.json was not read")
	}
}

func TestBadBundlesNameTheFile(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"data.json not an object", map[string]string{"a.rego": "package a\n", "data.json": "[1]"}, "data.json: must be a JSON object"},
		{"data.json not JSON", map[string]string{"a.rego": "package a\n", "data.json": "{"}, "data.json: not valid JSON"},
		{"data.json trailing data", map[string]string{"a.rego": "package a\n", "data.json": "{} {}"}, "data.json: not valid JSON"},
		{"nested data.json", map[string]string{"a.rego": "package a\n", "x/data.json": "{}"}, "x/data.json"},
		{"no rego", map[string]string{"data.json": "{}"}, "no .rego files"},
		{"only tests", map[string]string{"a_test.rego": "package a\n"}, "no .rego files"},
		{"escaping path", map[string]string{"../a.rego": "package a\n"}, `"../a.rego"`},
		{"absolute path", map[string]string{"/a.rego": "package a\n"}, `"/a.rego"`},
		{"unclean path", map[string]string{"x/../a.rego": "package a\n"}, `"x/../a.rego"`},
		{"backslash", map[string]string{`x\a.rego`: "package a\n"}, `x\\a.rego`},
		{"other file", map[string]string{"a.rego": "package a\n", "notes.txt": "x"}, "notes.txt"},
		{"not UTF-8", map[string]string{"a.rego": "package a\n\xff"}, "a.rego: not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := map[string][]byte{}
			for p, s := range c.files {
				m[p] = []byte(s)
			}
			_, err := FromFiles(m)
			if err == nil {
				t.Fatal("FromFiles accepted the bundle")
			}
			if !errors.Is(err, ErrInvalidBundle) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want ErrInvalidBundle mentioning %q", err, c.want)
			}
		})
	}
}

func TestLoadUnreadableFileNamesIt(t *testing.T) {
	// A dangling symlink is unreadable even for root, who reads mode-000 files.
	dir := writeDir(t, map[string]string{"a.rego": "package a\n"})
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "b.rego")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	_, err := Load(dir)
	if err == nil || !errors.Is(err, ErrInvalidBundle) || !strings.Contains(err.Error(), "b.rego") {
		t.Errorf("Load: %v, want an error naming b.rego", err)
	}
	if _, err := Load(filepath.Join(dir, "nope")); err == nil || !errors.Is(err, ErrInvalidBundle) {
		t.Errorf("Load of a missing directory: %v", err)
	}
}

func TestFilesIsACopy(t *testing.T) {
	b := mustBundle(t, map[string]string{"a.rego": "package a\n"})
	b.Files()["a.rego"][0] = 'X'
	if string(b.Files()["a.rego"]) != "package a\n" {
		t.Error("mutating Files() changed the bundle")
	}
}
