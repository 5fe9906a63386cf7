package mirror

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/internal/canon"
)

// Options tune Export.
type Options struct {
	// Generation of the bundle; zero means the newest observation
	// CreatedAt in Unix seconds (see Generation).
	Generation Generation
}

// record is one observations/… file: the observation envelope with its raw
// bytes, and the parsed advisory the producer's reader made of them (the
// store keeps both; importers then need no reader per format).
type record struct {
	advisory.Observation
	Advisory *advisory.Advisory `json:"advisory,omitempty"`
}

// Export writes stored observations (each with its store id; give every
// revision an importer may lack, oldest included) as a signed bundle.
// Input order does not matter; identical observations given twice count once.
func Export(ctx context.Context, w io.Writer, obs []advisory.Observation, signer attest.Signer, opts Options) error {
	if signer == nil {
		return fmt.Errorf("mirror: export needs a signer")
	}
	files := make(map[string][]byte, len(obs)+2)
	hashes := map[string]string{} // path → content hash, to tell repeats from clashes
	latest := map[[2]string]advisory.Observation{}
	gen := opts.Generation
	for i := range obs {
		o := obs[i]
		rev := revision(o.ID, o.Source.ID, o.Upstream.ID)
		if rev == 0 {
			return fmt.Errorf("mirror: observation %d (%s %s): id %q is not <source>:<upstreamId>:<revision>; export stored observations", i, o.Source.ID, o.Upstream.ID, o.ID)
		}
		p := obsPath(o.Source.ID, o.Upstream.ID, rev)
		if h, seen := hashes[p]; seen {
			if h != o.ContentHash {
				return fmt.Errorf("mirror: observation %s is given twice with different content", o.ID)
			}
			continue
		}
		o.Tenant = "" // the importer's tenant applies
		b, err := canon.Marshal(record{Observation: o, Advisory: o.Advisory})
		if err != nil {
			return fmt.Errorf("mirror: observation %s: %w", o.ID, err)
		}
		files[p], hashes[p] = b, o.ContentHash
		k := [2]string{o.Source.ID, o.Upstream.ID}
		if cur, ok := latest[k]; !ok || revision(cur.ID, k[0], k[1]) < rev {
			latest[k] = o
		}
		if opts.Generation == 0 {
			gen = max(gen, Generation(o.CreatedAt.Unix()))
		}
	}
	if gen <= 0 || gen >= maxGeneration {
		return fmt.Errorf("mirror: generation %d is out of range (set Options.Generation, or export observations with CreatedAt)", gen)
	}
	heads := make([]advisory.Observation, 0, len(latest))
	for _, o := range latest {
		heads = append(heads, o)
	}
	snap, err := advisory.NewSnapshot(heads)
	if err != nil {
		return err
	}
	m := Manifest{Schema: Schema, Generation: gen, SnapshotID: snap.ID, Observations: len(files), Entries: make([]Entry, 0, len(files))}
	for p, b := range files {
		m.Entries = append(m.Entries, Entry{Path: p, SHA256: canon.SHA256(b), Size: int64(len(b))})
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	mb, err := canon.Marshal(m)
	if err != nil {
		return err
	}
	env, err := signManifest(ctx, mb, m, signer)
	if err != nil {
		return err
	}
	files[ManifestPath], files[EnvelopePath] = mb, env
	return archive.Write(w, files)
}

// signManifest returns the JCS DSSE envelope of a statement about manifest.json.
func signManifest(ctx context.Context, mb []byte, m Manifest, signer attest.Signer) ([]byte, error) {
	subj, err := attest.SubjectFromDigest(ManifestPath, canon.SHA256(mb))
	if err != nil {
		return nil, err
	}
	pred := map[string]any{"schema": m.Schema, "generation": m.Generation, "snapshotId": m.SnapshotID}
	st, err := attest.NewStatement(PredicateType, pred, subj)
	if err != nil {
		return nil, err
	}
	env, err := attest.Sign(ctx, st, signer)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return canon.Transform(raw)
}

// sortForAppend orders observations so each document's revisions come
// oldest first, as Store.Append needs them.
func sortForAppend(obs []advisory.Observation) {
	slices.SortFunc(obs, func(a, b advisory.Observation) int {
		return cmp.Or(strings.Compare(a.Source.ID, b.Source.ID), strings.Compare(a.Upstream.ID, b.Upstream.ID),
			cmp.Compare(revision(a.ID, a.Source.ID, a.Upstream.ID), revision(b.ID, b.Source.ID, b.Upstream.ID)))
	})
}
