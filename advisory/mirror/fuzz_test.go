package mirror

import (
	"bytes"
	"context"
	"testing"
)

func FuzzImport(f *testing.F) {
	signer, trust := keys(f)
	f.Add(export(f, stored(f), signer))
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := importLimit(context.Background(), bytes.NewReader(raw), trust, 0, 1<<16) // a small limit keeps each run fast
		if (b == nil) == (err == nil) {
			t.Fatalf("Import = %v, %v", b, err)
		}
	})
}
