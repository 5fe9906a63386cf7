package sbom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Source is something Generate can scan: a directory, a file or an image.
// Build one with Dir, File, OCILayout, OCIArchive, DockerArchive, Registry,
// Daemon, FromImage or ParseSource.
type Source interface {
	fmt.Stringer
	// open resolves the source; the target's close releases what it holds.
	open(ctx context.Context, cfg *config) (*target, error)
}

// target is an opened source: either an image or a single view.
type target struct {
	subject Subject
	image   *resolvedImage // set for images
	view    View           // set otherwise
	cleanup []func()
}

func (t *target) close() {
	for i := len(t.cleanup) - 1; i >= 0; i-- {
		t.cleanup[i]()
	}
}

// resolvedImage is an image chosen down to one platform's manifest.
type resolvedImage struct {
	img v1.Image
	// blobs is set when the layers' compressed blobs are stored as such
	// (layouts, registries): they are then decompressed by Stella, faster
	// than go-containerregistry does. Elsewhere Compressed() would compress.
	blobs bool
}

// Dir is a directory tree, such as a root filesystem or a source checkout.
// The subject's name is "." (the scanned root), never the host path, so that
// the same tree anywhere gives the same SBOM; WithSubjectName sets another.
func Dir(path string) Source { return dirSource(path) }

type dirSource string

func (s dirSource) String() string { return "dir:" + string(s) }

func (s dirSource) open(_ context.Context, _ *config) (*target, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", s)
	}
	return &target{
		subject: Subject{Kind: "directory", Name: "."},
		view:    View{Kind: ViewDirectory, Root: abs},
	}, nil
}

// File is a single file, such as a Go binary or a jar. The subject records
// the file's base name and sha256 digest.
func File(path string) Source { return fileSource(path) }

type fileSource string

func (s fileSource) String() string { return "file:" + string(s) }

func (s fileSource) open(_ context.Context, _ *config) (*target, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", s)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", s, err)
	}
	return &target{
		subject: Subject{Kind: "file", Name: filepath.Base(abs), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))},
		view:    View{Kind: ViewFile, File: abs},
	}, nil
}

// ParseSource reads a source as the stella command takes it: "dir:PATH",
// "file:PATH", "oci-dir:PATH", "oci-archive:PATH", "docker-archive:PATH",
// "registry:REF", "docker:REF" (the local Docker daemon), or a plain path to
// a directory or a file.
func ParseSource(s string) (Source, error) {
	if s == "" {
		return nil, fmt.Errorf("sbom: empty source")
	}
	if scheme, rest, ok := strings.Cut(s, ":"); ok {
		if rest == "" {
			return nil, fmt.Errorf("sbom: source %q names nothing after %q", s, scheme+":")
		}
		switch scheme {
		case "dir":
			return Dir(rest), nil
		case "file":
			return File(rest), nil
		case "oci-dir":
			return OCILayout(rest), nil
		case "oci-archive":
			return OCIArchive(rest), nil
		case "docker-archive":
			return DockerArchive(rest), nil
		case "registry":
			return Registry(rest), nil
		case "docker":
			return Daemon(rest), nil
		}
	}
	fi, err := os.Stat(s)
	if err != nil {
		return nil, fmt.Errorf("sbom: source %q is neither a known scheme (dir:, file:, oci-dir:, oci-archive:, docker-archive:, registry:, docker:) nor an existing path: %w", s, err)
	}
	if fi.IsDir() {
		return Dir(s), nil
	}
	return File(s), nil
}
