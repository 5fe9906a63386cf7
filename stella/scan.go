package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/advisory/report"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/store"
)

func newScanCmd(g *globals) *cobra.Command {
	var sf scanFlags
	var failOn string
	cmd := &cobra.Command{
		Use:   "scan SOURCE (--advisories PATH... | --db DSN) [--fail-on SEVERITY]",
		Short: "Generate an SBOM of a source and match it against advisories (no server needed)",
		Long: `Generate an SBOM of SOURCE, exactly as "stella sbom generate" does, and match
its packages against advisories. SOURCE is a path or dir:PATH, file:PATH,
oci-dir:PATH, oci-archive:PATH, docker-archive:PATH, registry:REF or docker:REF;
sbom:FILE scans an existing SBOM file (CycloneDX or SPDX) instead.

Advisories come from --advisories: OSV JSON as a file, a directory of files or
a .zip archive (such as the Go vulnerability database's data/osv). Repeat the
flag to combine sources; a record present twice is used once. Or they come
from --db, the store "stella serve" and "stella advisory import" use: its
effective advisories (one per alias group, merged by source precedence, with
KEV and EPSS), and the JSON output names the advisory snapshot matched.

--output (-o) picks the format:
  table  aligned columns and a summary, for a terminal (default)
  json   {source, sbomContentDigest, advisorySnapshotId (with --db), findings[],
         unmatched[], summary}; findings
         sorted by advisoryId then purl, each with purl, package,
         installedVersion, advisoryId, aliases, severity{score, vector, rating},
         fixedVersions and the evidence that decided it; unmatched lists the
         (package, advisory) pairs that could not be decided
  sarif  SARIF 2.1.0: tool "stella", one rule per advisory, one result per
         finding located at the package purl (a logical location)

--fail-on SEVERITY (low, medium, high or critical) exits 6, "decision deny",
when a finding not suppressed by VEX is rated at or above it. A finding whose advisory gives no
scored CVSS vector is rated "unknown" and meets every threshold: an unscored
vulnerability is not known to be harmless. The report is printed either way.

--vex FILE (repeatable) applies VEX: OpenVEX, CSAF 2.0 VEX, CycloneDX VEX or
OpenVEX in a DSSE attestation. Each finding gets the trust-weighted consensus
of the statements about its purl and advisory id or aliases, as of
--vex-cutoff, with issuers from --vex-issuers (see "stella vex --help"; without
it every issuer gets the hub defaults). A
not_affected or fixed verdict suppresses the finding: it stays in the output,
with vex{status, justification, suppressed, confidence, conflict,
consensusDigest} in JSON, a SARIF suppression (kind external) and the VEX
column of the table, but --fail-on ignores it.
--vex-attached also reads the OpenVEX DSSE attestations attached to a
registry: image (see "stella vex fetch"), verified against --vex-issuers.
When SOURCE is an image, statements about its digest apply to its findings.

Exit codes: 0 no finding at or above --fail-on (or no --fail-on); 2 bad flags,
unreadable SOURCE or advisories; 6 decision deny; 1 anything else.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			output := g.output
			if output != "table" && output != "json" && output != "sarif" {
				return withCode(ExitUsage, "--output %q: want table, json or sarif", output)
			}
			var threshold advisory.Rating
			if failOn != "" {
				r, err := advisory.ParseRating(failOn)
				if err != nil {
					return withCode(ExitUsage, "--fail-on: %v", err)
				}
				threshold = r
			}
			res, err := sf.run(cmd, args[0])
			if err != nil {
				return err
			}
			rep := res.report
			switch output {
			case "json":
				err = rep.WriteJSON(cmd.OutOrStdout())
			case "sarif":
				err = rep.WriteSARIF(cmd.OutOrStdout(), version)
			default:
				err = rep.WriteTable(cmd.OutOrStdout())
			}
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			if threshold != "" {
				if hits := rep.AtLeast(threshold); len(hits) > 0 {
					return withCode(ExitDeny, "decision deny: %d finding(s) at or above %s (first: %s in %s)", len(hits), threshold, hits[0].AdvisoryID, hits[0].PURL)
				}
			}
			return nil
		},
	}
	sf.register(cmd)
	// Only stella scan reads attached VEX: gate eval does not go through
	// scanFlags.run and must not accept a flag it would ignore.
	cmd.Flags().BoolVar(&sf.vexAttached, "vex-attached", false, "also apply the OpenVEX attestations attached to a registry: image (OCI referrers, cosign .att)")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 6 (decision deny) when a finding is rated at or above low, medium, high or critical")
	return cmd
}

// scanFlags are the inputs of a scan, shared by stella scan and stella gate eval.
type scanFlags struct {
	advisoryPaths                                 []string
	db, tenant, sbomFormat, sbomOut, ts, platform string
	vex                                           vexFlags
	vexAttached                                   bool // stella scan --vex-attached
}

func (f *scanFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringArrayVar(&f.advisoryPaths, "advisories", nil, "OSV advisories: a JSON file, a directory of them or a .zip (repeatable)")
	fs.StringVar(&f.db, "db", "", "advisory store: a SQLite file path or a postgres:// URL (instead of --advisories)")
	fs.StringVar(&f.tenant, "tenant", server.DefaultTenant, "tenant whose advisories --db reads")
	cmd.MarkFlagsOneRequired("advisories", "db")
	cmd.MarkFlagsMutuallyExclusive("advisories", "db")
	f.vex.register(fs, "vex-")
	fs.StringVar(&f.sbomFormat, "format-sbom", string(codec.CycloneDXJSON17), "format of the SBOM behind sbomContentDigest and --sbom-file")
	fs.StringVar(&f.sbomOut, "sbom-file", "", "also write the generated SBOM to this file")
	fs.StringVar(&f.ts, "timestamp", "", "SBOM timestamp (RFC 3339)")
	fs.StringVar(&f.platform, "platform", "linux/amd64", "platform to pick from a multi-platform image")
}

// scanResult is everything a scan produced.
type scanResult struct {
	doc    *sbom.Document
	report *report.Report
}

// run generates (or reads) the SBOM of source, matches it and applies VEX.
func (f *scanFlags) run(cmd *cobra.Command, source string) (*scanResult, error) {
	format, err := codec.ParseFormat(f.sbomFormat)
	if err != nil {
		return nil, withCode(ExitUsage, "--format-sbom: %v", err)
	}
	advs, snapshotID, err := f.advisories(cmd.Context())
	if err != nil {
		return nil, err
	}
	vin, err := f.vex.load(cmd.Context())
	if err != nil {
		return nil, err
	}
	if f.vexAttached && !strings.HasPrefix(source, "registry:") {
		return nil, withCode(ExitUsage, "--vex-attached needs a registry: source, not %s", source)
	}
	doc, err := scanDocument(cmd, source, f.ts, f.platform)
	if err != nil {
		return nil, err
	}
	var raw bytes.Buffer
	if err := codec.Encode(&raw, doc, format); err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	digest, err := sbom.ContentDigest(raw.Bytes())
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	if f.sbomOut != "" {
		if err := writeOutput(cmd, f.sbomOut, raw.Bytes()); err != nil {
			return nil, err
		}
	}
	if f.vexAttached {
		if err := addAttachedVEX(cmd.Context(), source, doc, &vin); err != nil {
			return nil, err
		}
	}
	var opts []scan.Option
	if len(f.vex.files) > 0 || f.vexAttached {
		v, err := vin.view()
		if err != nil {
			return nil, err
		}
		opts = append(opts, scan.WithVEX(v))
	}
	// Statements about the image (product = its digest) apply to its findings.
	product := ""
	if doc.Subject.Kind == "image" {
		product = doc.Subject.Digest
	}
	progress(cmd, "matching %d packages against %d advisories\n", len(doc.Components), advs.Len())
	res, err := scan.New(advs, opts...).Scan(cmd.Context(), doc, scan.InProduct(product), scan.AsOf(vin.cutoff))
	if err != nil {
		return nil, withCode(ExitInternal, "%v", err)
	}
	rep := report.New(source, digest, res.Report, advs.Advisories(), len(doc.Components))
	rep.AdvisorySnapshotID = snapshotID
	setVEX(rep, res.Applied)
	return &scanResult{doc: doc, report: rep}, nil
}

// advisories loads the advisories a scan matches against: from the store
// (with the store's snapshot id) or from files.
func (f *scanFlags) advisories(ctx context.Context) (*scan.Advisories, string, error) {
	if f.db != "" {
		return loadEffective(ctx, f.db, f.tenant)
	}
	advs, err := loadAdvisories(f.advisoryPaths)
	return advs, "", err
}

// addAttachedVEX adds the statements of the OpenVEX attestations attached
// to the scanned registry image (--vex-attached) to in.
func addAttachedVEX(ctx context.Context, source string, doc *sbom.Document, in *vexInputs) error {
	if doc.Subject.Kind != "image" || doc.Subject.Digest == "" {
		return withCode(ExitInternal, "--vex-attached: %s gave no image digest", source)
	}
	image, err := name.NewDigest(doc.Subject.Name + "@" + doc.Subject.Digest)
	if err != nil {
		return withCode(ExitInternal, "--vex-attached: %v", err)
	}
	docs, err := fetchAttachedVEX(ctx, image, in.reg)
	if err != nil {
		return err
	}
	for _, d := range docs {
		in.stmts = append(in.stmts, d.Statements...)
	}
	return nil
}

// scanDocument generates the SBOM of source, or reads it for sbom:FILE.
func scanDocument(cmd *cobra.Command, source, ts, platform string) (*sbom.Document, error) {
	if path, ok := strings.CutPrefix(source, "sbom:"); ok && path != "" {
		doc, _, _, err := readSBOM(path)
		return doc, err
	}
	src, err := parseSource(source)
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	opts, err := generateOptions(cmd, ts, platform)
	if err != nil {
		return nil, err
	}
	doc, err := sbom.Generate(cmd.Context(), src, opts...)
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	return doc, nil
}

// openStore opens the store --db names. A path that does not exist is a
// usage error, not a new empty store.
func openStore(ctx context.Context, dsn string) (*store.DB, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") && !strings.HasPrefix(dsn, "file:") && dsn != ":memory:" {
		if _, err := os.Stat(dsn); err != nil { // Open would create an empty file
			return nil, withCode(ExitUsage, "--db: %v", err)
		}
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, withCode(ExitUsage, "--db: %v", err)
	}
	return s, nil
}

// loadEffective reads a tenant's effective advisories from the store, with
// the store's snapshot id. An empty view is an error, not a clean scan:
// matching nothing proves nothing.
func loadEffective(ctx context.Context, dsn, tenant string) (*scan.Advisories, string, error) {
	s, err := openStore(ctx, dsn)
	if err != nil {
		return nil, "", err
	}
	defer s.Close()
	return storeAdvisories(ctx, s, dsn, tenant)
}

func storeAdvisories(ctx context.Context, s *store.DB, dsn, tenant string) (*scan.Advisories, string, error) {
	effs, snap, err := s.EffectiveAll(ctx, tenant)
	if err != nil {
		return nil, "", withCode(ExitInternal, "--db: %v", err)
	}
	if len(effs) == 0 {
		return nil, "", withCode(ExitUsage, "--db %s has no effective advisories for tenant %q; run stella advisory import first", dsn, tenant)
	}
	advs, err := scan.FromEffective(effs)
	if err != nil {
		return nil, "", withCode(ExitInternal, "--db: %v", err)
	}
	return advs, snap.ID, nil
}

// loadAdvisories reads every path and keeps one record per advisory id. When
// two paths hold different records under one id, the newer (modified) wins,
// then the smaller content hash, so the result does not depend on flag order.
func loadAdvisories(paths []string) (*scan.Advisories, error) {
	byID := map[string]*advisory.Observation{}
	for _, p := range paths {
		obs, err := osv.ReadPath(p)
		if err != nil {
			return nil, withCode(ExitUsage, "--advisories %s: %v", p, err)
		}
		for i := range obs {
			o := &obs[i]
			if o.Advisory == nil {
				continue
			}
			if prev, seen := byID[o.Advisory.ID]; !seen || newer(o, prev) {
				byID[o.Advisory.ID] = o
			}
		}
	}
	entries := make([]scan.Entry, 0, len(byID))
	for _, o := range byID {
		entries = append(entries, scan.Entry{Advisory: *o.Advisory})
	}
	advs, err := scan.NewAdvisories(entries)
	if err != nil {
		return nil, withCode(ExitUsage, "--advisories: %v", err)
	}
	return advs, nil
}

func newer(a, b *advisory.Observation) bool {
	if c := a.Advisory.Modified.Compare(b.Advisory.Modified); c != 0 {
		return c > 0
	}
	return cmp.Less(a.ContentHash, b.ContentHash)
}

// progress writes a status line to standard error when it is a terminal.
func progress(cmd *cobra.Command, format string, args ...any) {
	if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(f, format, args...)
	}
}
