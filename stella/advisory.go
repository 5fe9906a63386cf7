package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/feeds"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/store"
)

func newAdvisoryCmd(g *globals) *cobra.Command {
	var db, tenant string
	cmd := &cobra.Command{
		Use:   "advisory",
		Short: "Import advisories into the store and look them up (works on the database directly)",
		Long: `Import advisories into the store that "stella serve" uses (--db, by default the
SQLite file stella.db in the working folder) and look them up. Every import appends
raw observations (idempotent by content hash), rebuilds the effective advisories
and lists the stored SBOMs whose findings may have changed.`,
	}
	cmd.PersistentFlags().StringVar(&db, "db", "stella.db", "database: a SQLite file path or a postgres:// URL")
	cmd.PersistentFlags().StringVar(&tenant, "tenant", server.DefaultTenant, "tenant")

	var source string
	var mf *mirrorImportFlags
	imp := &cobra.Command{
		Use:   "import PATH",
		Short: "Import an advisory feed (OSV file, directory or zip; NVD 2.0; CSAF 2.0; Debian tracker; Alpine secdb; KEV; EPSS) or a signed mirror bundle",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if mf.bundle || isMirrorBundle(args[0]) {
				return importMirror(cmd, g, db, tenant, args[0], mf)
			}
			progress := terminalProgress(cmd)
			progress("reading " + args[0])
			obs, err := feeds.Read(source, args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			s, err := store.Open(cmd.Context(), db)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer s.Close()
			res, err := ingest(cmd.Context(), s, tenant, obs, progress)
			if err != nil {
				return err
			}
			return printIngest(cmd, g, res)
		},
	}
	imp.Flags().StringVar(&source, "source", "osv", "feed format: "+strings.Join(feeds.Sources(), ", "))
	mf = addMirrorImportFlags(imp)

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an effective advisory by id or alias, with provenance and conflicts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := store.Open(cmd.Context(), db)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer s.Close()
			eff, err := s.Effective(cmd.Context(), tenant, args[0])
			if errors.Is(err, advisory.ErrNotFound) {
				return withCode(ExitUsage, "advisory %q is not in the store", args[0])
			} else if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			return printJSON(cmd, eff)
		},
	}
	cmd.AddCommand(imp, show, newAdvisoryExportCmd(&db, &tenant), newAdvisorySyncCmd(g, &db, &tenant))
	return cmd
}

// terminalProgress prints one-line progress on a terminal, and nothing when piped.
func terminalProgress(cmd *cobra.Command) func(string) {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(string) {}
	}
	return func(msg string) {
		fmt.Fprintf(f, "\r\033[K%s", msg)
		if msg == "" {
			fmt.Fprint(f, "\r\033[K")
		}
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
