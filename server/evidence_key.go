package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stella-ops/stella/attest"
)

// evidenceKeyFile is where the key that signs evidence packets lives: the
// configured file, else stella.evidence.key next to the sealing key.
func evidenceKeyFile(cfg Config) string {
	if cfg.EvidenceKeyFile != "" {
		return cfg.EvidenceKeyFile
	}
	return filepath.Join(filepath.Dir(cfg.KeyFile), "stella.evidence.key")
}

// loadOrCreateEvidenceKey reads the ed25519 seed (base64) that signs
// evidence packets from path, creating the file (mode 0600) with a new
// seed on first start, as seal.LoadOrCreateKey does for the sealing key.
// The key is never logged or returned by the API.
func loadOrCreateEvidenceKey(path string) (attest.Signer, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("evidence key: generate: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("evidence key: create %s: %w", path, err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("evidence key: write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("evidence key: write %s: %w", path, err)
		}
		return attest.NewSigner(ed25519.NewKeyFromSeed(seed))
	}
	if err != nil {
		return nil, fmt.Errorf("evidence key: read %s: %w", path, err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("evidence key: %s does not hold a base64 ed25519 seed", path)
	}
	return attest.NewSigner(ed25519.NewKeyFromSeed(seed))
}
