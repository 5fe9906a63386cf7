package canon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/gowebpki/jcs"
)

// Marshal encodes v as JSON and canonicalizes it per RFC 8785.
func Marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canon: encode: %w", err)
	}
	return canonical(raw)
}

// Transform canonicalizes JSON text per RFC 8785, validating it: use it
// for text from outside.
func Transform(raw []byte) ([]byte, error) {
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("canon: canonicalize: %w", err)
	}
	return out, nil
}

// Digest returns "sha256:<hex>" of the canonical JSON of v.
func Digest(v any) (string, error) {
	b, err := Marshal(v)
	if err != nil {
		return "", err
	}
	return SHA256(b), nil
}

// SHA256 returns "sha256:<hex>" of b.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
