package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/alpine"
	"github.com/stella-ops/stella/advisory/debian"
	"github.com/stella-ops/stella/advisory/nvd"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/store"
)

// readerFor returns the reader of a feed format named by --source.
func readerFor(source string) (func(path string) ([]advisory.Observation, error), bool) {
	switch source {
	case "osv":
		return osv.ReadPath, true
	case "nvd":
		return readFile(nvd.Read), true
	case "debian":
		return readFile(debian.Read), true
	case "alpine":
		return readFile(alpine.Read), true
	}
	return nil, false
}

func readFile(read func(io.Reader) ([]advisory.Observation, error)) func(string) ([]advisory.Observation, error) {
	return func(path string) ([]advisory.Observation, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return read(f)
	}
}

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
		Short: "Import an advisory feed: OSV JSON (file, directory or zip), NVD 2.0, Debian tracker or Alpine secdb JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if mf.bundle || isMirrorBundle(args[0]) {
				return importMirror(cmd, g, db, tenant, args[0], mf)
			}
			read, ok := readerFor(source)
			if !ok {
				return withCode(ExitUsage, "--source %q is not one of osv, nvd, debian, alpine", source)
			}
			progress := terminalProgress(cmd)
			progress("reading " + args[0])
			obs, err := read(args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			s, err := store.Open(cmd.Context(), db)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer s.Close()
			progress(fmt.Sprintf("appending %d observations", len(obs)))
			res, err := s.Append(cmd.Context(), tenant, obs)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			progress("merging effective advisories")
			rebuilt, err := advisory.Rebuild(cmd.Context(), s, tenant, advisory.Precedence{}, advisory.Enrichment{})
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			affected, err := advisory.AffectedSBOMs(cmd.Context(), s, tenant, rebuilt.Before, rebuilt.After)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			progress("")
			out := map[string]any{"read": len(obs), "appended": res.Appended, "skipped": res.Skipped,
				"snapshot": rebuilt.Snapshot, "changedAdvisories": len(rebuilt.Changed), "affectedSboms": nonNilStrings(affected)}
			if g.output == "json" {
				return printJSON(cmd, out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "read %d, appended %d, unchanged %d; %d effective advisories changed; %d stored SBOM(s) to re-evaluate\n",
				len(obs), res.Appended, res.Skipped, len(rebuilt.Changed), len(affected))
			for _, d := range affected {
				fmt.Fprintln(cmd.OutOrStdout(), "  "+d)
			}
			return nil
		},
	}
	imp.Flags().StringVar(&source, "source", "osv", "feed format: osv, nvd, debian or alpine")
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
	cmd.AddCommand(imp, show, newAdvisoryExportCmd(&db, &tenant))
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
