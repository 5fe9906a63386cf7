package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stella-ops/stella/internal/canon"
)

// DataFile is the one data document a bundle may carry, at its root.
const DataFile = "data.json"

// ErrInvalidBundle is wrapped by every error about the shape of a bundle.
var ErrInvalidBundle = errors.New("policy: invalid bundle")

// Bundle is an immutable set of Rego modules plus optional data, identified by
// its digest. Files ending in _test.rego are part of the digest (they are
// reviewed with the policy) but are not evaluated.
type Bundle struct {
	files  map[string][]byte
	paths  []string // sorted
	digest string
	data   map[string]any // data.json, nil when absent
}

// Load reads a bundle from dir: every *.rego file below it (recursively) and
// data.json at its root. Other files are ignored and are not in the digest.
func Load(dir string) (*Bundle, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidBundle, p, err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidBundle, p, err)
		}
		rel = filepath.ToSlash(rel)
		if !strings.HasSuffix(rel, ".rego") && path.Base(rel) != DataFile {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidBundle, rel, err)
		}
		files[rel] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return FromFiles(files)
}

// FromFiles builds a bundle from slash-separated relative paths and their
// contents, e.g. what Files returned, reloaded from a content-addressed store.
// The map is copied.
func FromFiles(files map[string][]byte) (*Bundle, error) {
	b := &Bundle{files: make(map[string][]byte, len(files))}
	evaluated := 0
	for p, content := range files {
		if err := checkPath(p); err != nil {
			return nil, err
		}
		if !utf8.Valid(content) {
			return nil, fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalidBundle, p)
		}
		b.files[p] = bytes.Clone(content)
		b.paths = append(b.paths, p)
		if p == DataFile {
			data, err := parseData(content)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrInvalidBundle, p, err)
			}
			b.data = data
		} else if !isTestFile(p) {
			evaluated++
		}
	}
	if evaluated == 0 {
		return nil, fmt.Errorf("%w: no .rego files to evaluate (files ending in _test.rego are not evaluated)", ErrInvalidBundle)
	}
	sort.Strings(b.paths)
	d, err := digest(b.paths, b.files)
	if err != nil {
		return nil, err
	}
	b.digest = d
	return b, nil
}

func checkPath(p string) error {
	switch {
	case p == "" || strings.Contains(p, "\\") || path.IsAbs(p) || path.Clean(p) != p ||
		p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%w: %q: path must be relative, clean and slash-separated", ErrInvalidBundle, p)
	case path.Base(p) == DataFile && p != DataFile:
		return fmt.Errorf("%w: %s: data.json is only read at the bundle root", ErrInvalidBundle, p)
	case p != DataFile && !strings.HasSuffix(p, ".rego"):
		return fmt.Errorf("%w: %s: only .rego files and data.json belong in a bundle", ErrInvalidBundle, p)
	}
	return nil
}

func isTestFile(p string) bool { return strings.HasSuffix(p, "_test.rego") }

func parseData(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep numbers exact for OPA
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not valid JSON: trailing data after the object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("must be a JSON object")
	}
	return m, nil
}

// digest is sha256 of JCS {"files":[{"path","sha256"}]} sorted by path, with
// each file's sha256 as lowercase hex.
func digest(paths []string, files map[string][]byte) (string, error) {
	type entry struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	}
	doc := struct {
		Files []entry `json:"files"`
	}{Files: make([]entry, 0, len(paths))}
	for _, p := range paths {
		sum := sha256.Sum256(files[p])
		doc.Files = append(doc.Files, entry{Path: p, SHA256: hex.EncodeToString(sum[:])})
	}
	return canon.Digest(doc)
}

// Digest is "sha256:<hex>" of the bundle's file list (see package doc).
func (b *Bundle) Digest() string { return b.digest }

// Paths lists every file of the bundle, sorted, including _test.rego files.
func (b *Bundle) Paths() []string { return append([]string(nil), b.paths...) }

// Files returns a copy of every file, path → contents; FromFiles(b.Files())
// rebuilds the same bundle.
func (b *Bundle) Files() map[string][]byte {
	out := make(map[string][]byte, len(b.files))
	for p, c := range b.files {
		out[p] = bytes.Clone(c)
	}
	return out
}

// modules returns the files that are evaluated, in path order.
func (b *Bundle) modules() []string {
	var out []string
	for _, p := range b.paths {
		if p != DataFile && !isTestFile(p) {
			out = append(out, p)
		}
	}
	return out
}
