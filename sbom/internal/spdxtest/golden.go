package spdxtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Golden compares out with testdata/<name> and checks testdata/hashes.txt, which
// `sha256sum -c` must accept. With update set it rewrites both first.
func Golden(t *testing.T, out []byte, name string, update bool) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	hashes := filepath.Join("testdata", "hashes.txt")
	if update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(hashes, []byte(hashLine(out, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("output differs from %s (run go test -update after checking the change)", golden)
	}
	got, err := os.ReadFile(hashes)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != hashLine(want, name) {
		t.Fatalf("%s does not match %s", hashes, name)
	}
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sum, "-c", "hashes.txt")
		cmd.Dir = "testdata"
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c hashes.txt: %v\n%s", err, b)
		}
	}
}
