package vex

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stella-ops/stella/attest"
)

// attachedKey is an issuer's signing key and a registry that knows it.
type attachedKey struct {
	signer attest.Signer
	reg    *Registry
}

func newAttachedKey(t *testing.T) attachedKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	reg, err := NewRegistry("test", Issuer{ID: "acme", Name: "ACME", Class: ClassVendor,
		Keys: []IssuerKey{{KeyID: signer.KeyID(), PublicKey: pub}}})
	if err != nil {
		t.Fatal(err)
	}
	return attachedKey{signer: signer, reg: reg}
}

// envelope signs an in-toto statement about image with the predicate given.
func (k attachedKey) envelope(t *testing.T, image name.Digest, predicateType, predicate string) []byte {
	t.Helper()
	subj, err := attest.SubjectFromDigest(image.Context().Name(), image.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement(predicateType, []byte(predicate), subj)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(context.Background(), st, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// productlessVEX is an OpenVEX document whose one statement names no
// product, so it speaks about the attestation's subject.
func productlessVEX(vuln, status string) string {
	just := ""
	if status == "not_affected" {
		just = `,"justification":"vulnerable_code_not_present"`
	}
	return `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/` + vuln + `","author":"ACME",
	"timestamp":"2024-01-01T00:00:00Z","version":1,
	"statements":[{"vulnerability":{"name":"` + vuln + `"},"status":"` + status + `"` + just + `}]}`
}

const slsaProvenance = `{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}`

// ociRegistry starts an in-process registry; referrers says whether it
// serves the OCI 1.1 referrers API (otherwise clients use the tag schema).
func ociRegistry(t *testing.T, referrers bool) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers)))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushRandom pushes a random image and returns its digest reference.
func pushRandom(t *testing.T, repo string) (name.Digest, v1.Image) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(repo + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(d.String()), img
}

// attachReferrer pushes an OCI 1.1 artifact whose subject is img and whose
// layers are the envelopes. go-containerregistry's registry reports a
// manifest's config media type as its artifactType, as the spec allows
// when the manifest sets none.
func attachReferrer(t *testing.T, image name.Digest, img v1.Image, envs ...[]byte) {
	t.Helper()
	art := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), MediaTypeDSSE)
	for _, env := range envs {
		var err error
		if art, err = mutate.AppendLayers(art, static.NewLayer(env, MediaTypeDSSE)); err != nil {
			t.Fatal(err)
		}
	}
	mt, _ := img.MediaType()
	d, _ := img.Digest()
	size, _ := img.Size()
	art = mutate.Subject(art, v1.Descriptor{MediaType: mt, Digest: d, Size: size}).(v1.Image)
	ad, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(image.Context().Digest(ad.String()), art); err != nil {
		t.Fatal(err)
	}
}

// attachCosign pushes the envelopes as cosign does: one layer each of an
// image tagged sha256-<hex>.att.
func attachCosign(t *testing.T, image name.Digest, envs ...[]byte) {
	t.Helper()
	att := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	for _, env := range envs {
		var err error
		if att, err = mutate.Append(att, mutate.Addendum{Layer: static.NewLayer(env, MediaTypeDSSE),
			Annotations: map[string]string{"predicateType": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	tag := image.Context().Tag(strings.Replace(image.DigestStr(), ":", "-", 1) + ".att")
	if err := remote.Write(tag, att); err != nil {
		t.Fatal(err)
	}
}

func TestAttachedFindsReferrersAndCosignAttestations(t *testing.T) {
	for _, api := range []bool{true, false} {
		name := map[bool]string{true: "referrers API", false: "referrers tag schema"}[api]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			host := ociRegistry(t, api)
			image, img := pushRandom(t, host+"/team/app")
			key := newAttachedKey(t)
			viaReferrer := key.envelope(t, image, OpenVEXContext, productlessVEX("CVE-2024-0001", "not_affected"))
			viaCosign := key.envelope(t, image, OpenVEXContext, productlessVEX("CVE-2024-0002", "fixed"))
			slsa := key.envelope(t, image, "https://slsa.dev/provenance/v1", slsaProvenance)
			attachReferrer(t, image, img, viaReferrer)
			attachReferrer(t, image, img, slsa)
			docs, err := Attached(ctx, image, key.reg)
			if err != nil || len(docs) != 1 || docs[0].Statements[0].Vulnerability != "CVE-2024-0001" {
				t.Fatalf("referrers only: %v, %+v; want the referrer's VEX alone", err, docs)
			}
			// The cosign image repeats the referrer's envelope: read once.
			attachCosign(t, image, slsa, viaCosign, viaReferrer)

			docs, err = Attached(ctx, image, key.reg)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 2 {
				t.Fatalf("got %d documents, want 2: %+v", len(docs), docs)
			}
			if docs[0].ContentHash >= docs[1].ContentHash {
				t.Errorf("documents not sorted by content hash: %s, %s", docs[0].ContentHash, docs[1].ContentHash)
			}
			vulns := map[string]bool{}
			for _, d := range docs {
				if d.Format != FormatOpenVEX || len(d.Statements) != 1 {
					t.Fatalf("document %+v", d)
				}
				s := d.Statements[0]
				vulns[s.Vulnerability] = true
				if s.Issuer != "acme" || !s.Signature.Verified || s.Signature.KeyID != key.signer.KeyID() {
					t.Errorf("%s: issuer %q, signature %+v; want acme, verified", s.Vulnerability, s.Issuer, s.Signature)
				}
				if s.Product.Ref != image.DigestStr() {
					t.Errorf("%s: product %q, want the image digest %s", s.Vulnerability, s.Product.Ref, image.DigestStr())
				}
			}
			if !vulns["CVE-2024-0001"] || !vulns["CVE-2024-0002"] {
				t.Errorf("vulnerabilities %v", vulns)
			}

			// Without keys the same documents are read, signed but unverified.
			docs, err = Attached(ctx, image, nil)
			if err != nil || len(docs) != 2 {
				t.Fatalf("unkeyed: %d documents, %v", len(docs), err)
			}
			for _, d := range docs {
				if s := d.Statements[0]; !s.Signature.Signed || s.Signature.Verified || !strings.HasPrefix(s.Issuer, "unknown:") {
					t.Errorf("unkeyed %s: issuer %q, signature %+v", s.Vulnerability, s.Issuer, s.Signature)
				}
			}
		})
	}
}

func TestAttachedTamperedEnvelopeFailsClosed(t *testing.T) {
	host := ociRegistry(t, true)
	image, img := pushRandom(t, host+"/team/app")
	key := newAttachedKey(t)
	raw := key.envelope(t, image, OpenVEXContext, productlessVEX("CVE-2024-0001", "affected"))
	var env attest.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	env.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"affected"`, `"not_affected"`, 1)))
	tampered, _ := json.Marshal(env)
	attachReferrer(t, image, img, tampered)

	_, err := Attached(context.Background(), image, key.reg)
	if !errors.Is(err, attest.ErrVerify) {
		t.Fatalf("tampered envelope: got %v, want attest.ErrVerify", err)
	}
	if !strings.Contains(err.Error(), image.String()) {
		t.Errorf("error %q does not name the image", err)
	}
}

func TestAttachedSignedByAnotherKeyFailsClosed(t *testing.T) {
	host := ociRegistry(t, true)
	image, _ := pushRandom(t, host+"/team/app")
	issuer, stranger := newAttachedKey(t), newAttachedKey(t)
	attachCosign(t, image, stranger.envelope(t, image, OpenVEXContext, productlessVEX("CVE-2024-0001", "not_affected")))
	if _, err := Attached(context.Background(), image, issuer.reg); !errors.Is(err, attest.ErrVerify) {
		t.Fatalf("VEX signed by an unregistered key: got %v, want attest.ErrVerify", err)
	}
	// A non-VEX attestation by the same stranger is skipped, not verified.
	other, _ := pushRandom(t, host+"/team/other")
	attachCosign(t, other, stranger.envelope(t, other, "https://slsa.dev/provenance/v1", slsaProvenance))
	if docs, err := Attached(context.Background(), other, issuer.reg); err != nil || len(docs) != 0 {
		t.Fatalf("SLSA attestation by another key: %d documents, %v; want skipped", len(docs), err)
	}
}

func TestAttachedWithoutAttestationsIsEmpty(t *testing.T) {
	for _, api := range []bool{true, false} {
		host := ociRegistry(t, api)
		image, _ := pushRandom(t, host+"/team/app")
		docs, err := Attached(context.Background(), image, newAttachedKey(t).reg)
		if err != nil {
			t.Fatalf("referrers API %v: %v", api, err)
		}
		if docs == nil || len(docs) != 0 {
			t.Fatalf("referrers API %v: got %#v, want an empty slice", api, docs)
		}
	}
}

func TestAttachedRegistryErrorNamesImage(t *testing.T) {
	srv := httptest.NewServer(nil) // not a registry: every request is 404
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // and now nothing listens
	image, err := name.NewDigest(host + "/team/app@" + imageDigest)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Attached(context.Background(), image, nil)
	if err == nil || !strings.Contains(err.Error(), image.String()) {
		t.Fatalf("unreachable registry: %v, want an error naming %s", err, image)
	}
}
