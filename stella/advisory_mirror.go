package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/mirror"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/store"
)

const mirrorExitCodes = `Exit codes:
  0    success
  1    unexpected error
  2    usage error, unreadable input, or observations conflicting with the store
  3    integrity failure: a digest, size or content hash mismatch, an unsafe or unlisted entry
  4    signature failure: no envelope, or not signed by the --key given
  8    the bundle's generation is not newer than the last one imported from that key
  11   the manifest is not a valid stella.advisory-mirror/v1 document`

func newAdvisoryExportCmd(db, tenant *string) *cobra.Command {
	var keyPath, out string
	var generation int64
	cmd := &cobra.Command{
		Use:   "export --key KEY.pem [-f bundle.tar.gz]",
		Short: "Export the tenant's observations as a signed, deterministic mirror bundle",
		Long: `Export every stored revision of the tenant's observations as a mirror bundle
(advisory.md §6): a deterministic tar.gz with manifest.json (sha256 and size of every
file), manifest.dsse.json (the manifest signed with --key) and
observations/<source>/<upstreamId>/<revision>.json. The generation defaults to the
newest observation's creation time in Unix seconds. Without -f the bundle goes to stdout.

` + mirrorExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			signer, err := attest.LoadSigner(keyPath)
			if err != nil {
				return withCode(ExitUsage, "--key: %v", err)
			}
			s, err := store.Open(cmd.Context(), *db)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer s.Close()
			obs, err := allRevisions(cmd.Context(), s, *tenant)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			if len(obs) == 0 {
				return withCode(ExitUsage, "tenant %q has no observations to export", *tenant)
			}
			opts := mirror.Options{Generation: mirror.Generation(generation)}
			if out == "" || out == "-" {
				w := bufio.NewWriter(cmd.OutOrStdout())
				if err := mirror.Export(cmd.Context(), w, obs, signer, opts); err != nil {
					return withCode(ExitInternal, "%v", err)
				}
				return w.Flush()
			}
			if err := writeFileAtomic(out, func(w io.Writer) error { return mirror.Export(cmd.Context(), w, obs, signer, opts) }); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d observations\n", out, len(obs))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "PEM private key that signs the manifest (required)")
	cmd.Flags().StringVarP(&out, "file", "f", "", "bundle file to write (default stdout)")
	cmd.Flags().Int64Var(&generation, "generation", 0, "bundle generation (default: newest observation time, Unix seconds)")
	cmd.MarkFlagRequired("key")
	return cmd
}

// allRevisions returns the latest observations and every older revision
// of the documents that have them, so an empty importer can append them in order.
func allRevisions(ctx context.Context, s advisory.Store, tenant string) ([]advisory.Observation, error) {
	latest, err := s.Latest(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]advisory.Observation, 0, len(latest))
	for _, o := range latest {
		if o.Supersedes == "" {
			out = append(out, o)
			continue
		}
		revs, err := s.Revisions(ctx, tenant, o.Source.ID, o.Upstream.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, revs...)
	}
	return out, nil
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".stella-bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes 0600
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// mirrorImportFlags are the import flags for bundles.
type mirrorImportFlags struct {
	key    string
	bundle bool
}

func addMirrorImportFlags(cmd *cobra.Command) *mirrorImportFlags {
	f := &mirrorImportFlags{}
	cmd.Flags().StringVar(&f.key, "key", "", "mirror bundle: PEM public key the manifest must be signed with")
	cmd.Flags().BoolVar(&f.bundle, "bundle", false, "PATH is a mirror bundle (detected when a .tar.gz starts with manifest.*)")
	cmd.Long = `Import an advisory feed, or a signed mirror bundle written by "stella advisory export".
A bundle is verified completely (signature by --key, every digest and size, a
generation newer than the last bundle imported from that key) before anything is
written; then its observations are appended and the effective advisories rebuilt.

` + mirrorExitCodes
	return f
}

// isMirrorBundle reports whether path is a gzip tar whose first entry is the
// manifest or its envelope (they sort first in every bundle).
func isMirrorBundle(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return false
	}
	h, err := tar.NewReader(zr).Next()
	return err == nil && (h.Name == mirror.ManifestPath || h.Name == mirror.EnvelopePath)
}

// importMirror verifies a bundle, then appends and rebuilds like a feed import.
func importMirror(cmd *cobra.Command, g *globals, db, tenant, path string, f *mirrorImportFlags) error {
	ctx := cmd.Context()
	if f.key == "" {
		return withCode(ExitUsage, "importing a mirror bundle needs --key PUB.pem")
	}
	v, err := attest.LoadVerifier(f.key)
	if err != nil {
		return withCode(ExitUsage, "--key: %v", err)
	}
	r, err := os.Open(path)
	if err != nil {
		return withCode(ExitUsage, "%v", err)
	}
	defer r.Close()
	s, err := store.Open(ctx, db)
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	defer s.Close()
	last, err := lastGeneration(ctx, s, tenant, v.KeyID())
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	b, err := mirror.Import(ctx, bufio.NewReader(r), attest.Trust{Verifiers: []attest.Verifier{v}}, last)
	if err != nil {
		return withCode(mirrorExitCode(err), "%s: %v", path, err)
	}
	// The import, its generation and its audit entry land in one
	// transaction: a failed import leaves no trace and can be retried.
	var res *ingestResult
	err = s.Transact(ctx, func(tx *store.Tx) error {
		if res, err = ingest(ctx, tx, tenant, b.Observations, func(string) {}); err != nil {
			return err
		}
		cur := &advisory.FeedCursor{Feed: mirrorFeed(v.KeyID()), Generation: int64(b.Manifest.Generation),
			ContentHash: b.ManifestDigest, UpdatedAt: time.Now().UTC()}
		if err := tx.PutFeedCursor(ctx, tenant, cur); err != nil {
			return withCode(ExitInternal, "recording generation %d: %v", b.Manifest.Generation, err)
		}
		if err := tx.AppendAudit(ctx, &release.AuditEntry{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant,
			Actor: "stella advisory import", Action: "advisory.mirror.import", EntityType: "advisory-mirror", EntityID: v.KeyID(),
			BeforeDigest: b.Manifest.SnapshotID, AfterDigest: b.ManifestDigest, At: time.Now().UTC()}); err != nil {
			return withCode(ExitInternal, "%v", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if g.output != "json" {
		fmt.Fprintf(cmd.OutOrStdout(), "bundle generation %d verified\n", b.Manifest.Generation)
	}
	return printIngest(cmd, g, res)
}

// mirrorFeed is the feed-cursor key of a mirror: its signing key identifies it.
func mirrorFeed(keyID string) string { return "mirror " + keyID }

// lastGeneration is the newest generation imported from the key, 0 if none.
func lastGeneration(ctx context.Context, s advisory.CursorStore, tenant, keyID string) (mirror.Generation, error) {
	cur, err := s.FeedCursor(ctx, tenant, mirrorFeed(keyID))
	if errors.Is(err, advisory.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return mirror.Generation(cur.Generation), nil
}

func mirrorExitCode(err error) int {
	switch {
	case errors.Is(err, mirror.ErrIntegrity):
		return ExitIntegrity
	case errors.Is(err, mirror.ErrSignature):
		return ExitTrust
	case errors.Is(err, mirror.ErrStale):
		return ExitStale
	case errors.Is(err, mirror.ErrManifest):
		return ExitManifest
	}
	return ExitUsage
}
