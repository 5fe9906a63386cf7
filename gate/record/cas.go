package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
)

// Resolver returns the content stored under a "sha256:<hex>" digest.
type Resolver interface {
	Get(ctx context.Context, digest string) ([]byte, error)
}

// CAS is a content-addressed store of decision inputs: the
// gate.InputStore the engine writes them to (gate.KeepInputs), and the
// Resolver replay reads them back from.
type CAS interface {
	Resolver
	gate.InputStore
}

// ErrNotFound means no content is stored under a digest.
var ErrNotFound = errors.New("record: input not found")

// ErrDigestMismatch means stored content no longer hashes to its digest.
var ErrDigestMismatch = errors.New("record: input content does not match its digest")

var casDigest = regexp.MustCompile(`^sha256:([a-f0-9]{64})$`)

// DirCAS stores each input as <root>/cas/sha256/<hex> (offline.md §5), so
// a directory written next to a record is also the cas/ tree of a replay
// bundle.
type DirCAS struct{ root string }

// NewDirCAS returns a store rooted at dir; the directory is created on the
// first Put.
func NewDirCAS(dir string) *DirCAS { return &DirCAS{root: dir} }

func (c *DirCAS) path(digest string) (string, error) {
	m := casDigest.FindStringSubmatch(digest)
	if m == nil {
		return "", fmt.Errorf("record: %q is not a sha256:<64 hex> digest", digest)
	}
	return filepath.Join(c.root, "cas", "sha256", m[1]), nil
}

// Put writes b under its digest; intact content already there is left
// alone, damaged content is replaced. Writes go through a temporary file
// and a rename, so a reader never sees half an input.
func (c *DirCAS) Put(_ context.Context, b []byte) (string, error) {
	d := canon.SHA256(b)
	p, _ := c.path(d)
	if old, err := os.ReadFile(p); err == nil && canon.SHA256(old) == d {
		return d, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("record: store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return "", fmt.Errorf("record: store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", fmt.Errorf("record: store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("record: store: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", fmt.Errorf("record: store: %w", err)
	}
	return d, nil
}

// Get reads the content under digest and checks that it still hashes to
// it: a CAS that returns edited bytes would make replay meaningless.
func (c *DirCAS) Get(_ context.Context, digest string) ([]byte, error) {
	p, err := c.path(digest)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("record: store: %w", err)
	}
	if got := canon.SHA256(b); got != digest {
		return nil, fmt.Errorf("%w: %s holds %s", ErrDigestMismatch, digest, got)
	}
	return b, nil
}

// MemCAS is an in-memory CAS, for tests and for assembling a bundle.
type MemCAS map[string][]byte

// Put stores a copy of b.
func (m MemCAS) Put(_ context.Context, b []byte) (string, error) {
	d := canon.SHA256(b)
	m[d] = bytes.Clone(b)
	return d, nil
}

// Get returns the content under digest.
func (m MemCAS) Get(_ context.Context, digest string) ([]byte, error) {
	b, ok := m[digest]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, digest)
	}
	return bytes.Clone(b), nil
}

// resolve fetches digest from r and verifies the content whatever r is.
func resolve(ctx context.Context, r Resolver, digest string) ([]byte, error) {
	if !casDigest.MatchString(digest) {
		return nil, fmt.Errorf("%w: %q is not a sha256 digest", ErrNotFound, digest)
	}
	b, err := r.Get(ctx, digest)
	if err != nil {
		return nil, err
	}
	if got := canon.SHA256(b); got != digest {
		return nil, fmt.Errorf("%w: %s holds %s", ErrDigestMismatch, digest, got)
	}
	return b, nil
}

// InputsDir is where a record written to path keeps its inputs:
// "<path without extension>.inputs", the root of a cas/sha256 tree.
func InputsDir(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".inputs"
}

func jsonStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Path is the file that holds digest, whether or not it exists. Tools
// that must examine damaged content (replay naming which input changed)
// read it directly; Get refuses content that does not match its digest.
func (c *DirCAS) Path(digest string) (string, error) { return c.path(digest) }
