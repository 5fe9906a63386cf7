package archive

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

// Level is the one fixed gzip compression level of every archive: the same
// files always compress to the same bytes.
const Level = 6

// ErrInvalid means an archive is not gzip or tar, is truncated, exceeds its
// size limit, or holds an entry that is unsafe, duplicate or not a regular file.
var ErrInvalid = errors.New("archive: invalid archive")

// Write writes files as a deterministic tar.gz (offline.md §3): paths sorted
// by bytes, regular files 0644 owned by 0:0 with empty names, mtime 0, USTAR
// headers (PAX only for a path over 100 bytes), gzip header with mtime 0, no
// name and OS 255.
func Write(w io.Writer, files map[string][]byte) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		if err := CheckPath(p); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	zw, err := gzip.NewWriterLevel(w, Level)
	if err != nil {
		return err
	}
	zw.Header = gzip.Header{OS: 255}
	tw := tar.NewWriter(zw)
	for _, p := range paths {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o644, Size: int64(len(files[p])), ModTime: time.Unix(0, 0)}
		if len(p) > 100 { // PAX only when a path needs it; never split into a ustar prefix
			hdr.Format = tar.FormatPAX
		} else {
			hdr.Format = tar.FormatUSTAR
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("archive: write %s: %w", p, err)
		}
		if _, err := tw.Write(files[p]); err != nil {
			return fmt.Errorf("archive: write %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// Reader streams the entries of a tar.gz one at a time, so a caller can
// check each entry against a manifest before reading it. It reads at most
// limit compressed bytes; bounding what an entry may decompress to is the
// caller's job (its declared size, see Next).
type Reader struct {
	lr   *io.LimitedReader
	zr   *gzip.Reader
	tr   *tar.Reader
	seen map[string]bool
}

// NewReader starts reading a tar.gz of at most limit compressed bytes.
func NewReader(r io.Reader, limit int64) (*Reader, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	zr, err := gzip.NewReader(lr)
	if err != nil {
		return nil, fmt.Errorf("%w: not a gzip archive: %v", ErrInvalid, err)
	}
	return &Reader{lr: lr, zr: zr, tr: tar.NewReader(zr), seen: map[string]bool{}}, nil
}

// Next advances to the next entry and returns its path and the size its
// header declares, which is exactly what Read will return. It refuses
// entries that are not regular files, unsafe paths and duplicates. After
// the last entry it checks the end of the archive and returns io.EOF.
func (r *Reader) Next() (string, int64, error) {
	hdr, err := r.tr.Next()
	if errors.Is(err, io.EOF) {
		return "", 0, r.end()
	}
	if err != nil {
		return "", 0, r.wrap(fmt.Errorf("tar: %w", err))
	}
	if hdr.Typeflag != tar.TypeReg {
		return "", 0, fmt.Errorf("%w: entry %q is not a regular file (type %q)", ErrInvalid, hdr.Name, hdr.Typeflag)
	}
	if err := CheckPath(hdr.Name); err != nil {
		return "", 0, err
	}
	if r.seen[hdr.Name] {
		return "", 0, fmt.Errorf("%w: duplicate entry %q", ErrInvalid, hdr.Name)
	}
	r.seen[hdr.Name] = true
	if hdr.Size < 0 {
		return "", 0, fmt.Errorf("%w: entry %q has a negative size", ErrInvalid, hdr.Name)
	}
	return hdr.Name, hdr.Size, nil
}

// Read reads the current entry; a truncated or corrupt archive is ErrInvalid.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.tr.Read(p)
	if err != nil && err != io.EOF {
		err = r.wrap(err)
	}
	return n, err
}

// end reads what follows the tar end marker, so the gzip checksum is
// verified and nothing but zero padding (tar writers pad to a 10 KiB
// record) trails the last entry.
func (r *Reader) end() error {
	tail, err := io.ReadAll(io.LimitReader(r.zr, 10240+1))
	if err != nil {
		return r.wrap(err)
	}
	if len(tail) > 10240 || bytes.ContainsFunc(tail, func(c rune) bool { return c != 0 }) {
		return fmt.Errorf("%w: data after the end of the archive", ErrInvalid)
	}
	if r.lr.N <= 0 {
		return fmt.Errorf("%w: the archive exceeds its size limit", ErrInvalid)
	}
	return io.EOF
}

// wrap reports a read cut short by the size limit as such.
func (r *Reader) wrap(err error) error {
	if r.lr.N <= 0 {
		return fmt.Errorf("%w: the archive exceeds its size limit", ErrInvalid)
	}
	return fmt.Errorf("%w: %v", ErrInvalid, err)
}

// ReadAll reads a whole archive into memory: at most limit bytes
// compressed and limit bytes uncompressed.
func ReadAll(r io.Reader, limit int64) (map[string][]byte, error) {
	ar, err := NewReader(r, limit)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	budget := limit
	for {
		name, size, err := ar.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if size > budget { // refused before anything is allocated
			return nil, fmt.Errorf("%w: entry %q (%d bytes) exceeds the %d-byte size limit", ErrInvalid, name, size, limit)
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(ar, b); err != nil {
			return nil, fmt.Errorf("%w: read %q: %v", ErrInvalid, name, err)
		}
		budget -= size
		files[name] = b
	}
}

// CheckPath accepts relative, UTF-8, /-separated paths without empty, "."
// or ".." segments (offline.md §3 rule 4).
func CheckPath(p string) error {
	if !utf8.ValidString(p) || !fs.ValidPath(p) || p == "." || strings.ContainsAny(p, "\\\x00") {
		return fmt.Errorf("%w: unsafe entry path %q", ErrInvalid, p)
	}
	return nil
}
