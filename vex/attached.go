package vex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/stella-ops/stella/attest"
)

// Media and artifact types under which DSSE attestations are attached to
// images: as the artifactType of an OCI 1.1 referrer, and as the media type
// of the layers holding one envelope each (cosign's ".att" images and
// referrer artifacts alike).
const (
	MediaTypeDSSE   = "application/vnd.dsse.envelope.v1+json"
	MediaTypeInToto = "application/vnd.in-toto+json"
)

// maxAttachedManifests bounds how many referrers of one image are read, so a
// registry cannot make Attached fetch without end.
const maxAttachedManifests = 1000

// Attached returns the OpenVEX documents attached to image as DSSE
// attestations, found two ways:
//
//   - the OCI 1.1 referrers of the image (the referrers API, or the
//     referrers tag schema on registries without it), keeping artifacts
//     whose artifactType is a DSSE envelope or an in-toto statement;
//   - cosign's tag convention, an image tagged "sha256-<hex>.att" in the
//     same repository.
//
// Every layer of such an artifact whose media type is a DSSE envelope (or
// in-toto JSON) holds one envelope, read up to 64 MiB. Envelopes whose
// in-toto statement is not OpenVEX (SBOMs, SLSA provenance…) are skipped.
// The others are read with [ReadAny]: verified against reg's keys when reg
// has any — a signature that does not verify fails the call with an error
// wrapping [attest.ErrVerify] — and attributed to reg's issuers.
// Statements without products speak about the attestation's subjects, the
// image digest. A malformed envelope is an error too.
//
// Documents are deduplicated by content hash and sorted by it. No
// attestations gives an empty slice and a nil error. Registry errors are
// returned wrapped with the image reference. opts pass through to
// go-containerregistry (authentication, transport); the context is ctx.
func Attached(ctx context.Context, image name.Digest, reg *Registry, opts ...remote.Option) ([]*Document, error) {
	opts = append(slices.Clone(opts), remote.WithContext(ctx))
	var layers []attachedLayer

	idx, err := remote.Referrers(image, opts...)
	if err != nil {
		return nil, fmt.Errorf("vex: referrers of %s: %w", image, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("vex: referrers of %s: %w", image, err)
	}
	n := 0
	for _, desc := range im.Manifests {
		if !isAttestationType(desc.ArtifactType) || !desc.MediaType.IsImage() {
			continue
		}
		if n++; n > maxAttachedManifests {
			return nil, fmt.Errorf("vex: %s has more than %d attestation referrers", image, maxAttachedManifests)
		}
		ref := image.Context().Digest(desc.Digest.String())
		img, err := remote.Image(ref, opts...)
		if err != nil {
			return nil, fmt.Errorf("vex: attestation %s of %s: %w", ref, image, err)
		}
		ls, err := envelopeLayers(ref.String(), img)
		if err != nil {
			return nil, fmt.Errorf("vex: attestation %s of %s: %w", ref, image, err)
		}
		layers = append(layers, ls...)
	}

	att := image.Context().Tag(strings.Replace(image.DigestStr(), ":", "-", 1) + ".att")
	switch img, err := remote.Image(att, opts...); {
	case isNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("vex: attestations %s of %s: %w", att, image, err)
	default:
		ls, err := envelopeLayers(att.String(), img)
		if err != nil {
			return nil, fmt.Errorf("vex: attestations %s of %s: %w", att, image, err)
		}
		layers = append(layers, ls...)
	}

	docs := []*Document{}
	seen := map[string]bool{}
	for _, l := range layers {
		raw, err := readEnvelopeLayer(l.layer)
		if err != nil {
			return nil, fmt.Errorf("vex: %s of %s: %w", l.where, image, err)
		}
		isVEX, err := openVEXEnvelope(raw)
		if err != nil {
			return nil, fmt.Errorf("vex: %s of %s: %w", l.where, image, err)
		}
		if !isVEX {
			continue
		}
		d, err := ReadAny(ctx, raw, reg)
		if err != nil {
			return nil, fmt.Errorf("vex: %s of %s: %w", l.where, image, err)
		}
		if !seen[d.ContentHash] {
			seen[d.ContentHash] = true
			docs = append(docs, d)
		}
	}
	slices.SortFunc(docs, func(a, b *Document) int { return strings.Compare(a.ContentHash, b.ContentHash) })
	return docs, nil
}

// attachedLayer is one envelope layer and where it was found, for errors.
type attachedLayer struct {
	where string
	layer v1.Layer
}

func isAttestationType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	return t == MediaTypeDSSE || t == MediaTypeInToto || strings.HasPrefix(t, "application/vnd.in-toto.")
}

// envelopeLayers returns the layers of img that hold a DSSE envelope.
func envelopeLayers(where string, img v1.Image) ([]attachedLayer, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var out []attachedLayer
	for i, desc := range m.Layers {
		if !isAttestationType(string(desc.MediaType)) {
			continue
		}
		if desc.Size > maxDocument {
			return nil, fmt.Errorf("layer %s is %d bytes, more than %d", desc.Digest, desc.Size, maxDocument)
		}
		l, err := img.LayerByDigest(desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		out = append(out, attachedLayer{where: fmt.Sprintf("%s layer %s", where, desc.Digest), layer: l})
	}
	return out, nil
}

// readEnvelopeLayer reads a layer's blob as stored (envelopes are not
// compressed), at most maxDocument bytes. Remote blobs are checked against
// their digest once read to the end.
func readEnvelopeLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxDocument {
		return nil, fmt.Errorf("envelope exceeds %d bytes", maxDocument)
	}
	return raw, nil
}

// openVEXEnvelope reports whether raw is a DSSE envelope over an in-toto
// statement with an OpenVEX predicate. The payload is only peeked at to
// choose what to read: the envelope is verified afterwards by ReadAny, and
// skipping one (whether tampered with or not) grants nothing. Other
// attestations are signed by other parties — a build system, an SBOM
// generator — and must not fail verification against VEX issuers' keys.
func openVEXEnvelope(raw []byte) (bool, error) {
	env, err := attest.ParseEnvelope(raw)
	if err != nil {
		return false, err
	}
	if env.PayloadType != attest.PayloadType {
		return false, nil
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return false, fmt.Errorf("envelope payload is not base64: %w", err)
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return false, fmt.Errorf("envelope payload is not an in-toto statement: %w", err)
	}
	return strings.HasPrefix(st.PredicateType, openVEXNamespace), nil
}

// isNotFound reports whether err is a registry's "no such manifest".
func isNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}
