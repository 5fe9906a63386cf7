package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bin")
	os.WriteFile(file, []byte("x"), 0o644)
	for in, want := range map[string]string{
		"dir:/x":                 "dir:/x",
		"file:/x":                "file:/x",
		"oci-dir:/x":             "oci-dir:/x",
		"oci-archive:/x.tar":     "oci-archive:/x.tar",
		"docker-archive:/x.tar":  "docker-archive:/x.tar",
		"registry:example.org/a": "registry:example.org/a",
		"docker:alpine:3.20":     "docker:alpine:3.20",
		dir:                      "dir:" + dir,
		file:                     "file:" + file,
	} {
		src, err := parseSource(in)
		if err != nil {
			t.Errorf("parseSource(%q): %v", in, err)
			continue
		}
		if src.String() != want {
			t.Errorf("parseSource(%q) = %s, want %s", in, src, want)
		}
	}
	for _, bad := range []string{"", "dir:", filepath.Join(dir, "missing")} {
		if _, err := parseSource(bad); err == nil {
			t.Errorf("parseSource(%q) succeeded", bad)
		}
	}
}
