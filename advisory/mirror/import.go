package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/canon"
)

// Bundle is a verified bundle.
type Bundle struct {
	Manifest       Manifest
	ManifestDigest string   // sha256: of manifest.json
	KeyIDs         []string // trusted keys whose signatures verified
	// Observations with their ids, each document's revisions oldest first:
	// ready for Store.Append.
	Observations []advisory.Observation
}

// Import reads a bundle into memory (at most MaxSize bytes) and verifies
// it: safe entries, the manifest signature (ErrSignature), every entry's
// digest and size and no extra or missing file (ErrIntegrity), a generation
// newer than last (ErrStale), and each observation's content hash. It
// returns observations only when every check passed; it writes nothing.
func Import(ctx context.Context, r io.Reader, trust attest.Trust, last Generation) (*Bundle, error) {
	return importLimit(ctx, r, trust, last, MaxSize)
}

func importLimit(ctx context.Context, r io.Reader, trust attest.Trust, last Generation, limit int64) (*Bundle, error) {
	files, err := readArchive(r, limit)
	if err != nil {
		return nil, err
	}
	mb, ok := files[ManifestPath]
	if !ok {
		return nil, fmt.Errorf("%w: the bundle has no %s", ErrManifest, ManifestPath)
	}
	b := &Bundle{ManifestDigest: canon.SHA256(mb)}
	if b.KeyIDs, err = verifyEnvelope(ctx, files[EnvelopePath], b.ManifestDigest, trust); err != nil {
		return nil, err
	}
	if b.Manifest, err = parseManifest(mb); err != nil {
		return nil, err
	}
	if err := checkEntries(files, b.Manifest.Entries); err != nil {
		return nil, err
	}
	if b.Manifest.Generation <= last {
		return nil, fmt.Errorf("%w: generation %d, last imported %d", ErrStale, b.Manifest.Generation, last)
	}
	if b.Observations, err = observations(files, b.Manifest); err != nil {
		return nil, err
	}
	return b, nil
}

// verifyEnvelope checks the DSSE envelope against trust and that its
// statement is about exactly this manifest.json.
func verifyEnvelope(ctx context.Context, raw []byte, manifestDigest string, trust attest.Trust) ([]string, error) {
	if raw == nil {
		return nil, fmt.Errorf("%w: the bundle has no %s", ErrSignature, EnvelopePath)
	}
	keys, err := attest.VerifyAbout(ctx, raw, trust, PredicateType, ManifestPath, manifestDigest)
	switch {
	case errors.Is(err, attest.ErrSubject):
		return nil, fmt.Errorf("%w: %v", ErrIntegrity, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return keys, nil
}

// parseManifest decodes manifest.json strictly: known fields, JCS bytes, the v1 schema.
func parseManifest(mb []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if c, err := canon.Transform(mb); err != nil || !bytes.Equal(c, mb) {
		return m, fmt.Errorf("%w: %s is not canonical JSON (RFC 8785)", ErrManifest, ManifestPath)
	}
	switch {
	case m.Schema != Schema:
		return m, fmt.Errorf("%w: schema %q is not %s", ErrManifest, m.Schema, Schema)
	case m.Generation <= 0 || m.Generation >= maxGeneration:
		return m, fmt.Errorf("%w: generation %d is out of range", ErrManifest, m.Generation)
	case !slices.IsSortedFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) }):
		return m, fmt.Errorf("%w: entries are not sorted by path", ErrManifest)
	}
	return m, nil
}

// checkEntries matches the archive's files against the manifest entries.
func checkEntries(files map[string][]byte, entries []Entry) error {
	listed := make(map[string]bool, len(entries))
	for _, e := range entries {
		if listed[e.Path] {
			return fmt.Errorf("%w: manifest lists %q twice", ErrIntegrity, e.Path)
		}
		listed[e.Path] = true
		b, ok := files[e.Path]
		switch {
		case !ok:
			return fmt.Errorf("%w: %q is listed in the manifest but missing", ErrIntegrity, e.Path)
		case int64(len(b)) != e.Size:
			return fmt.Errorf("%w: %q is %d bytes, the manifest says %d", ErrIntegrity, e.Path, len(b), e.Size)
		case canon.SHA256(b) != e.SHA256:
			return fmt.Errorf("%w: %q has digest %s, the manifest says %s", ErrIntegrity, e.Path, canon.SHA256(b), e.SHA256)
		}
	}
	for p := range files {
		if !listed[p] && p != ManifestPath && p != EnvelopePath {
			return fmt.Errorf("%w: %q is not listed in the manifest", ErrIntegrity, p)
		}
	}
	return nil
}

// observations decodes the observation files, checks each one's place,
// content hash and the snapshot id.
func observations(files map[string][]byte, m Manifest) ([]advisory.Observation, error) {
	out := make([]advisory.Observation, 0, len(m.Entries))
	latest := map[[2]string]advisory.Observation{}
	for _, e := range m.Entries {
		if !strings.HasPrefix(e.Path, obsDir) {
			return nil, fmt.Errorf("%w: unknown entry %q (v1 bundles hold only %s…)", ErrManifest, e.Path, obsDir)
		}
		var rec record
		dec := json.NewDecoder(bytes.NewReader(files[e.Path]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrManifest, e.Path, err)
		}
		o := rec.Observation
		o.Advisory = rec.Advisory
		rev := revision(o.ID, o.Source.ID, o.Upstream.ID)
		if rev == 0 || obsPath(o.Source.ID, o.Upstream.ID, rev) != e.Path {
			return nil, fmt.Errorf("%w: %s holds observation %q, which belongs elsewhere", ErrIntegrity, e.Path, o.ID)
		}
		if h, err := advisory.ContentHash(o.Content.Raw); err != nil || h != o.ContentHash {
			return nil, fmt.Errorf("%w: %s: raw content does not hash to its contentHash %s", ErrIntegrity, e.Path, o.ContentHash)
		}
		out = append(out, o)
		k := [2]string{o.Source.ID, o.Upstream.ID}
		if cur, ok := latest[k]; !ok || revision(cur.ID, k[0], k[1]) < rev {
			latest[k] = o
		}
	}
	heads := make([]advisory.Observation, 0, len(latest))
	for _, o := range latest {
		heads = append(heads, o)
	}
	snap, err := advisory.NewSnapshot(heads)
	if err != nil {
		return nil, err
	}
	if snap.ID != m.SnapshotID || len(out) != m.Observations {
		return nil, fmt.Errorf("%w: observations give snapshot %s (%d files), the manifest says %s (%d)", ErrIntegrity, snap.ID, len(out), m.SnapshotID, m.Observations)
	}
	sortForAppend(out)
	return out, nil
}
