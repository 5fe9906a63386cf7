package attest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Algorithm ids (spec offline.md §2.3).
const (
	Ed25519   = "ed25519"
	ECDSAP256 = "ecdsa-p256-sha256"
	ECDSAP384 = "ecdsa-p384-sha384"
)

// ErrUnsupportedAlgorithm is returned for a key type Stella does not sign or verify with.
var ErrUnsupportedAlgorithm = errors.New("attest: unsupported signature algorithm")

// Signer signs the DSSE pre-authentication encoding (PAE) of a payload.
type Signer interface {
	KeyID() string
	Algorithm() string
	Sign(ctx context.Context, pae []byte) ([]byte, error)
}

// Verifier checks a signature over a PAE.
type Verifier interface {
	KeyID() string
	Algorithm() string
	Verify(ctx context.Context, pae, sig []byte) error
	Public() crypto.PublicKey
}

// KeyID is "sha256:" + hex of the DER SubjectPublicKeyInfo of pub.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("attest: key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func algorithmOf(pub crypto.PublicKey) (string, crypto.Hash, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return Ed25519, crypto.Hash(0), nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECDSAP256, crypto.SHA256, nil
		case elliptic.P384():
			return ECDSAP384, crypto.SHA384, nil
		}
	}
	return "", 0, fmt.Errorf("%w: %T", ErrUnsupportedAlgorithm, pub)
}

// key wraps a sigstore signer or verifier with Stella's key id and algorithm id.
type key struct {
	id, alg string
	pub     crypto.PublicKey
	signer  signature.Signer
	verify  signature.Verifier
}

func (k *key) KeyID() string            { return k.id }
func (k *key) Algorithm() string        { return k.alg }
func (k *key) Public() crypto.PublicKey { return k.pub }
func (k *key) Sign(ctx context.Context, pae []byte) ([]byte, error) {
	if k.signer == nil {
		return nil, fmt.Errorf("attest: key %s is a public key and cannot sign", k.id)
	}
	return k.signer.SignMessage(bytesReader(pae), options.WithContext(ctx))
}
func (k *key) Verify(ctx context.Context, pae, sig []byte) error {
	return k.verify.VerifySignature(bytesReader(sig), bytesReader(pae), options.WithContext(ctx))
}

// NewSigner makes a Signer from an ECDSA P-256/P-384 or ed25519 private key.
func NewSigner(priv crypto.Signer) (Signer, error) {
	alg, hash, err := algorithmOf(priv.Public())
	if err != nil {
		return nil, err
	}
	s, err := signature.LoadSigner(priv, hash)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	v, err := signature.LoadVerifier(priv.Public(), hash)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	id, err := KeyID(priv.Public())
	if err != nil {
		return nil, err
	}
	return &key{id: id, alg: alg, pub: priv.Public(), signer: s, verify: v}, nil
}

// NewVerifier makes a Verifier from a public key.
func NewVerifier(pub crypto.PublicKey) (Verifier, error) {
	alg, hash, err := algorithmOf(pub)
	if err != nil {
		return nil, err
	}
	v, err := signature.LoadVerifier(pub, hash)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &key{id: id, alg: alg, pub: pub, verify: v}, nil
}

// LoadSigner reads an unencrypted PEM private key (PKCS#8, EC or ed25519).
func LoadSigner(path string) (Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("attest: read key %s: %w", path, err)
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(raw, cryptoutils.SkipPassword)
	if err != nil {
		return nil, fmt.Errorf("attest: key %s is not a PEM private key: %w", path, err)
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T in %s", ErrUnsupportedAlgorithm, priv, path)
	}
	return NewSigner(cs)
}

// LoadVerifier reads a PEM public key (or the public half of a PEM private key).
func LoadVerifier(path string) (Verifier, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("attest: read key %s: %w", path, err)
	}
	v, err := ParseVerifier(raw)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return v, nil
}

// ParseVerifier reads a PEM public key (or the public half of a PEM private key).
func ParseVerifier(pem []byte) (Verifier, error) {
	if pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem); err == nil {
		return NewVerifier(pub)
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pem, cryptoutils.SkipPassword)
	if err != nil {
		return nil, fmt.Errorf("attest: no PEM public or private key")
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedAlgorithm, priv)
	}
	return NewVerifier(cs.Public())
}
