package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

func write(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteIsDeterministicAndFollowsOfflineRules(t *testing.T) {
	long := strings.Repeat("d/", 60) + "f.json"
	files := map[string][]byte{"b.json": []byte("b"), "a/x.json": []byte("ax"), long: []byte("long"), "empty": {}}
	raw := write(t, files)
	for range 5 { // map order differs run to run; the bytes must not
		if !bytes.Equal(write(t, files), raw) {
			t.Fatal("two writes of the same files differ")
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.OS != 255 {
		t.Fatalf("gzip header = %+v", zr.Header)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.ModTime.Unix() != 0 || h.Mode != 0o644 {
			t.Fatalf("entry %+v", h)
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, " ") != "a/x.json b.json "+long+" empty" {
		t.Fatalf("entries %v are not sorted by path", names)
	}
	got, err := ReadAll(bytes.NewReader(raw), 1<<20)
	if err != nil || len(got) != 4 || string(got[long]) != "long" || got["empty"] == nil {
		t.Fatalf("ReadAll = %v, %v", got, err)
	}
}

func TestWriteRefusesUnsafePaths(t *testing.T) {
	for _, p := range []string{"../x", "/abs", "a/./b", `a\b`, "", "a//b"} {
		if err := Write(io.Discard, map[string][]byte{p: nil}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Write(%q) = %v, want ErrInvalid", p, err)
		}
	}
}

// rawTar writes entries as given (no safety rules) into a tar.gz.
func rawTar(t *testing.T, trailer []byte, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		body := []byte("{}")
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	zw.Write(trailer)
	zw.Close()
	return buf.Bytes()
}

func TestReaderRefusesUnsafeArchives(t *testing.T) {
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644} }
	good := write(t, map[string][]byte{"a.json": []byte("{}"), "b.json": []byte("{}")})
	for name, raw := range map[string][]byte{
		"path traversal":  rawTar(t, nil, reg("a.json"), reg("x/../../etc/passwd")),
		"absolute path":   rawTar(t, nil, reg("/etc/passwd")),
		"dot segment":     rawTar(t, nil, reg("x/./a.json")),
		"backslash":       rawTar(t, nil, reg(`x\..\a.json`)),
		"duplicate":       rawTar(t, nil, reg("a.json"), reg("a.json")),
		"symlink":         rawTar(t, nil, &tar.Header{Name: "a.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}),
		"directory":       rawTar(t, nil, &tar.Header{Name: "x/", Typeflag: tar.TypeDir, Mode: 0o755}),
		"hard link":       rawTar(t, nil, &tar.Header{Name: "a.json", Typeflag: tar.TypeLink, Linkname: "b.json"}),
		"data after end":  rawTar(t, []byte("hidden"), reg("a.json")),
		"not gzip":        []byte("hello"),
		"truncated":       good[:len(good)-12],
		"corrupt trailer": append(good[:len(good)-8:len(good)-8], 1, 2, 3, 4, 5, 6, 7, 8),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadAll(bytes.NewReader(raw), 1<<20); !errors.Is(err, ErrInvalid) {
				t.Fatalf("ReadAll = %v, want ErrInvalid", err)
			}
		})
	}
	// GNU tar pads to a 10 KiB record with zeros: that is not trailing data.
	if _, err := ReadAll(bytes.NewReader(rawTar(t, make([]byte, 8192), reg("a.json"))), 1<<20); err != nil {
		t.Fatalf("zero padding refused: %v", err)
	}
}

func TestSizeLimits(t *testing.T) {
	raw := write(t, map[string][]byte{"a": bytes.Repeat([]byte("x"), 4096), "b": bytes.Repeat([]byte("y"), 4096)})
	if _, err := ReadAll(bytes.NewReader(raw), int64(len(raw)-1)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("compressed over the limit: %v", err)
	}
	if _, err := ReadAll(bytes.NewReader(raw), 6000); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("uncompressed over the limit: %v", err)
	}
	// A header claiming a huge entry is refused before anything is allocated.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40})
	zw.Close()
	if _, err := ReadAll(&buf, 1<<20); !errors.Is(err, ErrInvalid) {
		t.Fatalf("huge header: %v", err)
	}
}

func FuzzReadAll(f *testing.F) {
	f.Add(write(f, map[string][]byte{"a.json": []byte("{}")}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		files, err := ReadAll(bytes.NewReader(raw), 1<<16)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v is not ErrInvalid", err)
		}
		for p := range files {
			if CheckPath(p) != nil {
				t.Fatalf("unsafe path %q returned", p)
			}
		}
	})
}
