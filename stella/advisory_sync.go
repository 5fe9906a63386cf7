package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/feeds"
	"github.com/stella-ops/stella/store"
)

// ingestResult is what an import or a sync did.
type ingestResult struct {
	Read              int               `json:"read"`
	Appended          int               `json:"appended"`
	Skipped           int               `json:"skipped"`
	Snapshot          advisory.Snapshot `json:"snapshot"`
	ChangedAdvisories int               `json:"changedAdvisories"`
	AffectedSBOMs     []string          `json:"affectedSboms"` // stored SBOMs whose findings may have changed
}

// ingestStore is what an import reads and writes: a *store.DB, or the
// *store.Tx of an import written together with its audit entry.
type ingestStore interface {
	advisory.Store
	advisory.PackageSearcher
}

// ingest appends observations, rebuilds the effective advisories with the
// stored KEV and EPSS enrichment, and finds the SBOMs to re-evaluate.
func ingest(ctx context.Context, s ingestStore, tenant string, obs []advisory.Observation, progress func(string)) (*ingestResult, error) {
	progress(fmt.Sprintf("appending %d observations", len(obs)))
	res, err := s.Append(ctx, tenant, obs)
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	progress("merging effective advisories")
	latest, err := s.Latest(ctx, tenant)
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	enr, err := feeds.Enrichment(latest)
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	rebuilt, err := advisory.Rebuild(ctx, s, tenant, advisory.Precedence{}, enr)
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	affected, err := advisory.AffectedSBOMs(ctx, s, tenant, rebuilt.Before, rebuilt.After)
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	progress("")
	return &ingestResult{Read: len(obs), Appended: res.Appended, Skipped: res.Skipped, Snapshot: rebuilt.Snapshot,
		ChangedAdvisories: len(rebuilt.Changed), AffectedSBOMs: nonNilStrings(affected)}, nil
}

func printIngest(cmd *cobra.Command, g *globals, r *ingestResult) error {
	if g.output == "json" {
		return printJSON(cmd, r)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "read %d, appended %d, unchanged %d; %d effective advisories changed; %d stored SBOM(s) to re-evaluate\n",
		r.Read, r.Appended, r.Skipped, r.ChangedAdvisories, len(r.AffectedSBOMs))
	for _, d := range r.AffectedSBOMs {
		fmt.Fprintln(cmd.OutOrStdout(), "  "+d)
	}
	return nil
}

// newAdvisorySyncCmd fetches feeds over HTTP with conditional requests, keeping
// a cursor per feed in the store, and imports what changed.
func newAdvisorySyncCmd(g *globals, db, tenant *string) *cobra.Command {
	var source, url string
	cmd := &cobra.Command{
		Use:   "sync --source SOURCE --url URL",
		Short: "Fetch a feed over HTTP (conditional on its last ETag/Last-Modified) and import it if it changed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := store.Open(ctx, *db)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer s.Close()
			feed := source + " " + url
			prev, err := s.FeedCursor(ctx, *tenant, feed)
			if errors.Is(err, advisory.ErrNotFound) {
				prev = nil
			} else if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			dir, err := os.MkdirTemp("", "stella-feed-")
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer os.RemoveAll(dir)
			// Keep the URL's file name: readers tell a .zip or .gz by it.
			file := filepath.Join(dir, filepath.Base(path.Clean("/"+path.Base(url))))
			f, err := os.Create(file)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			progress := terminalProgress(cmd)
			progress("fetching " + url)
			next, changed, err := feeds.Fetch(ctx, &http.Client{Timeout: 10 * time.Minute}, url, prev, f, time.Now())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			next.Feed = feed
			if !changed {
				progress("")
				if g.output == "json" {
					return printJSON(cmd, map[string]any{"feed": feed, "changed": false})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: unchanged since %s\n", feed, prev.UpdatedAt.Format(time.RFC3339))
				return s.PutFeedCursor(ctx, *tenant, &next)
			}
			obs, err := feeds.Read(source, file)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			res, err := ingest(ctx, s, *tenant, obs, progress)
			if err != nil {
				return err
			}
			// The cursor moves only after the import landed, so a failed one is retried.
			if err := s.PutFeedCursor(ctx, *tenant, &next); err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			return printIngest(cmd, g, res)
		},
	}
	cmd.Flags().StringVar(&source, "source", "osv", "feed format: osv, nvd, csaf, debian, alpine, kev or epss")
	cmd.Flags().StringVar(&url, "url", "", "the feed's URL (for OSV, a .zip or .json)")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}
