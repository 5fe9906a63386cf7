package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	box, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := box.Seal([]byte("hunter2"), []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("hunter2")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	pt, err := box.Open(ct, []byte("row-1"))
	if err != nil || string(pt) != "hunter2" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := box.Open(ct, []byte("row-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("opening with other associated data: %v, want ErrOpen", err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := box.Open(ct, []byte("row-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("opening tampered data: %v, want ErrOpen", err)
	}
	again, _ := box.Seal([]byte("hunter2"), []byte("row-1"))
	if bytes.Equal(again[:13], ct[:13]) {
		t.Fatal("two seals share a nonce")
	}
}

func TestLoadOrCreateKeyPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stella.key")
	a, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	ct, _ := a.Seal([]byte("x"), nil)
	b, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := b.Open(ct, nil); err != nil || string(pt) != "x" {
		t.Fatalf("reloaded key cannot open: %q %v", pt, err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("want an error for a short key")
	}
}
