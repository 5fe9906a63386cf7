package sbom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Source is something Generate can scan. Dir and File are the sources of
// this package; container images (registries, the Docker daemon, OCI
// layouts and archives) are sources of sbom/oci. Scan resolves what the
// source names and inventories it with o.Cataloger; Generate turns what it
// found into a Document, so a Source never applies identity rules itself.
type Source interface {
	fmt.Stringer
	Scan(ctx context.Context, o ScanOptions) (*Scanned, error)
}

// Dir is a directory tree, such as a root filesystem or a source checkout.
// The subject's name is "." (the scanned root), never the host path, so that
// the same tree anywhere gives the same SBOM; WithSubjectName sets another.
func Dir(path string) Source { return dirSource(path) }

type dirSource string

func (s dirSource) String() string { return "dir:" + string(s) }

// Scan inventories the directory as one view.
func (s dirSource) Scan(ctx context.Context, o ScanOptions) (*Scanned, error) {
	return scanLocal(ctx, o, s, s.open)
}

// scanLocal opens a local source as one view and inventories it.
func scanLocal(ctx context.Context, o ScanOptions, s fmt.Stringer, open func() (Subject, View, error)) (*Scanned, error) {
	report(o, "resolve", 0, 1)
	subject, v, err := open()
	if err != nil {
		return nil, fmt.Errorf("sbom: open %s: %w", s, err)
	}
	report(o, "resolve", 1, 1)
	return scanView(ctx, o, subject, v)
}

func (s dirSource) open() (Subject, View, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return Subject{}, View{}, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Subject{}, View{}, err
	}
	if !fi.IsDir() {
		return Subject{}, View{}, fmt.Errorf("%s is not a directory", s)
	}
	return Subject{Kind: "directory", Name: "."}, View{Kind: ViewDirectory, Root: abs}, nil
}

// File is a single file, such as a Go binary or a jar. The subject records
// the file's base name and sha256 digest.
func File(path string) Source { return fileSource(path) }

type fileSource string

func (s fileSource) String() string { return "file:" + string(s) }

// Scan inventories the file as one view.
func (s fileSource) Scan(ctx context.Context, o ScanOptions) (*Scanned, error) {
	return scanLocal(ctx, o, s, s.open)
}

func (s fileSource) open() (Subject, View, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return Subject{}, View{}, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return Subject{}, View{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Subject{}, View{}, err
	}
	if !fi.Mode().IsRegular() {
		return Subject{}, View{}, fmt.Errorf("%s is not a regular file", s)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Subject{}, View{}, fmt.Errorf("read %s: %w", s, err)
	}
	return Subject{Kind: "file", Name: filepath.Base(abs), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))},
		View{Kind: ViewFile, File: abs}, nil
}

// scanView inventories a directory or a single file: one view, no layers.
func scanView(ctx context.Context, o ScanOptions, subject Subject, v View) (*Scanned, error) {
	if o.Cataloger == nil {
		return nil, ErrNoCataloger
	}
	report(o, "catalog", 0, 1)
	inv, err := o.Cataloger.Catalog(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("sbom: catalog %s: %w", v.Kind, err)
	}
	if inv == nil {
		return nil, fmt.Errorf("sbom: catalog %s: the cataloger returned no inventory", v.Kind)
	}
	inv.HashArtifacts(v)
	report(o, "catalog", 1, 1)
	return &Scanned{Subject: subject, Inventories: []*Inventory{inv}}, nil
}

func report(o ScanOptions, stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}
