package mirror

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// gzipLevel is the one fixed compression level of every bundle (offline.md §3).
const gzipLevel = 6

// MaxSize bounds a bundle's compressed and uncompressed bytes on import.
const MaxSize = 2 << 30

// writeArchive writes files as a deterministic tar.gz (offline.md §3):
// sorted paths, regular files 0644 owned by 0:0, mtime 0, gzip header
// without name or time and OS 255.
func writeArchive(w io.Writer, files map[string][]byte) error {
	zw, err := gzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return err
	}
	zw.Header = gzip.Header{OS: 255}
	tw := tar.NewWriter(zw)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o644, Size: int64(len(files[p])), ModTime: time.Unix(0, 0)}
		if len(p) > 100 { // PAX only when a path needs it; never split into a ustar prefix
			hdr.Format = tar.FormatPAX
		} else {
			hdr.Format = tar.FormatUSTAR
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("mirror: write %s: %w", p, err)
		}
		if _, err := tw.Write(files[p]); err != nil {
			return fmt.Errorf("mirror: write %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// readArchive reads a whole tar.gz into memory, at most limit bytes
// compressed and uncompressed, refusing unsafe paths, duplicates and
// anything but regular files.
func readArchive(r io.Reader, limit int64) (map[string][]byte, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	zr, err := gzip.NewReader(lr)
	if err != nil {
		return nil, fmt.Errorf("%w: not a gzip archive: %v", ErrIntegrity, err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	budget := limit
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, archiveErr(lr, fmt.Errorf("%w: tar: %v", ErrIntegrity, err))
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%w: entry %q is not a regular file (type %q)", ErrIntegrity, hdr.Name, hdr.Typeflag)
		}
		if err := checkPath(hdr.Name); err != nil {
			return nil, err
		}
		if _, dup := files[hdr.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate entry %q", ErrIntegrity, hdr.Name)
		}
		if hdr.Size < 0 || hdr.Size > budget {
			return nil, fmt.Errorf("%w: entry %q (%d bytes) exceeds the %d-byte bundle limit", ErrIntegrity, hdr.Name, hdr.Size, limit)
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, tr); err != nil {
			return nil, archiveErr(lr, fmt.Errorf("%w: read %q: %v", ErrIntegrity, hdr.Name, err))
		}
		budget -= int64(buf.Len())
		files[hdr.Name] = buf.Bytes()
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w: archive exceeds the %d-byte bundle limit", ErrIntegrity, limit)
	}
	return files, nil
}

// archiveErr reports a read cut short by the size limit as such.
func archiveErr(lr *io.LimitedReader, err error) error {
	if lr.N <= 0 {
		return fmt.Errorf("%w: archive exceeds the bundle size limit", ErrIntegrity)
	}
	return err
}

// checkPath accepts relative, UTF-8, /-separated paths without empty, "."
// or ".." segments (offline.md §3 rule 4).
func checkPath(p string) error {
	if !utf8.ValidString(p) || !fs.ValidPath(p) || p == "." || strings.ContainsAny(p, "\\\x00") {
		return fmt.Errorf("%w: unsafe entry path %q", ErrIntegrity, p)
	}
	return nil
}
