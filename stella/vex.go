package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/report"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/vex"
)

func newVEXCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vex",
		Short: "Read VEX documents and compute trust-weighted VEX consensus",
		Long: `Read VEX documents and compute trust-weighted VEX consensus. show, fetch,
consensus and apply need no server; add records a statement on the server
(--server/--token).

Issuers: --issuers FILE names a registry (YAML or JSON) of issuers with their
class, public keys, authors, scope and trust settings:

  version: "2026-11"
  issuers:
    - id: acme
      name: ACME
      class: vendor            # vendor | distro | internal | hub | attestation
      authors: ["ACME PSIRT"]  # document authors attributed to this issuer
      keys: [{publicKey: "-----BEGIN PUBLIC KEY-----\n…"}]
      scope: ["pkg:golang/github.com/acme/"]
      requireSignatureForNotAffected: true

A DSSE attestation signed by a registered key is verified (a bad signature
exits 4) and scores with signed provenance; other documents are attributed by
author. Without a registry every issuer gets the hub defaults.`,
	}
	cmd.AddCommand(newVEXShowCmd(), newVEXConsensusCmd(g), newVEXApplyCmd(g), newVEXFetchCmd(g), newVEXAddCmd(g))
	return cmd
}

// vexFlags are the flags every VEX-consuming command shares.
type vexFlags struct {
	files   []string
	issuers string
	cutoff  string
}

// register adds the flags; prefix is "vex-" where they share a command with
// other inputs (stella scan).
func (f *vexFlags) register(fs *pflag.FlagSet, prefix string) {
	fs.StringArrayVar(&f.files, "vex", nil, "VEX document: OpenVEX, CSAF, CycloneDX or a DSSE attestation (repeatable)")
	fs.StringVar(&f.issuers, prefix+"issuers", "", "issuer registry (YAML or JSON): classes, keys, authors, trust settings")
	fs.StringVar(&f.cutoff, prefix+"cutoff", "", "consensus evaluation time (RFC 3339); default now")
}

// vexInputs are the loaded statements, the issuers and the consensus time.
type vexInputs struct {
	stmts  []vex.Statement
	cutoff time.Time
	reg    *vex.Registry // the issuers, also for VEX read later (attached to an image)
}

func (f *vexFlags) load(ctx context.Context) (vexInputs, error) {
	cutoff, err := parseCutoff(f.cutoff)
	if err != nil {
		return vexInputs{}, err
	}
	reg, err := loadRegistry(f.issuers)
	if err != nil {
		return vexInputs{}, err
	}
	in := vexInputs{cutoff: cutoff, reg: reg}
	for _, p := range f.files {
		doc, err := readVEXFile(ctx, p, reg)
		if err != nil {
			return vexInputs{}, err
		}
		in.stmts = append(in.stmts, doc.Statements...)
	}
	return in, nil
}

// view prepares the consensus over the loaded statements.
func (in vexInputs) view() (*scan.VEX, error) {
	v, err := scan.NewVEX(in.reg, scan.Statements(in.stmts))
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	return v, nil
}

func loadRegistry(path string) (*vex.Registry, error) {
	if path == "" {
		return vex.NewRegistry("")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, withCode(ExitUsage, "--issuers: %v", err)
	}
	defer f.Close()
	reg, err := vex.ReadRegistry(f)
	if err != nil {
		return nil, withCode(ExitUsage, "--issuers %s: %v", path, err)
	}
	return reg, nil
}

func newVEXShowCmd() *cobra.Command {
	var issuers string
	cmd := &cobra.Command{
		Use:   "show FILE [--issuers REGISTRY]",
		Short: "Print the normalized statements of a VEX document as JSON",
		Long: `Read FILE (OpenVEX, CSAF 2.0 VEX, CycloneDX VEX, or OpenVEX in a DSSE
attestation) and print {format, contentHash, author, statements[], warnings[]}.
With --issuers, statements are attributed to registered issuers and signed
attestations are verified.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(issuers)
			if err != nil {
				return err
			}
			doc, err := readVEXFile(cmd.Context(), args[0], reg)
			if err != nil {
				return err
			}
			return writeJSON(cmd, doc)
		},
	}
	cmd.Flags().StringVar(&issuers, "issuers", "", "issuer registry (YAML or JSON)")
	return cmd
}

func newVEXConsensusCmd(g *globals) *cobra.Command {
	var vf vexFlags
	var sf signFlags
	var product, pkg, vuln string
	cmd := &cobra.Command{
		Use:   "consensus --vex FILE... --package PURL --vuln ID[,ALIAS...] [--product P]",
		Short: "Print the consensus verdict for one (product, package, vulnerability) with its explanation",
		Long: `Compute the trust-weighted consensus (vex.md §5) over the statements of every
--vex FILE for one subject as of --cutoff.

--output table (default) prints the verdict and one row per claim: issuer,
class, status, P, C, R, baseTrust, M, F, score, whether it is in the top set
and why it was dropped. --output json prints the consensus record (vex.md §6):
status, conflict, confidence, justification, the same explanation entries and
the consensusDigest.
--output openvex prints the verdict as an OpenVEX 0.2.0 document (canonical
JSON); with --sign-key and --subject it is a signed DSSE attestation instead.
--vuln takes the primary id, then its aliases, comma-separated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := vf.load(cmd.Context())
			if err != nil {
				return err
			}
			c, err := vex.NewConsensus(in.reg)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			ids := strings.Split(vuln, ",")
			v, err := c.Evaluate(cmd.Context(), vex.Subject{Product: product, Package: pkg, Vuln: ids}, in.stmts, in.cutoff)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			switch g.output {
			case "openvex":
				return writeConsensusOpenVEX(cmd, []vex.Verdict{v}, sf)
			case "json":
				return writeJSON(cmd, v)
			case "table":
				if err := writeExplanation(cmd.OutOrStdout(), v); err != nil {
					return withCode(ExitInternal, "%v", err)
				}
				return nil
			}
			return withCode(ExitUsage, "--output %q: want table, json or openvex", g.output)
		},
	}
	vf.register(cmd.Flags(), "")
	sf.register(cmd.Flags())
	cmd.Flags().StringVar(&product, "product", "", "product: an image digest or product purl")
	cmd.Flags().StringVar(&pkg, "package", "", "package purl")
	cmd.Flags().StringVar(&vuln, "vuln", "", "vulnerability id, then its aliases, comma-separated")
	_ = cmd.MarkFlagRequired("vex")
	_ = cmd.MarkFlagRequired("package")
	_ = cmd.MarkFlagRequired("vuln")
	return cmd
}

func newVEXApplyCmd(g *globals) *cobra.Command {
	var vf vexFlags
	var sf signFlags
	var product, explain string
	cmd := &cobra.Command{
		Use:   "apply REPORT --vex FILE... [--issuers REGISTRY] [--product IMAGE_DIGEST]",
		Short: "Apply VEX consensus to the findings of a saved scan report",
		Long: `Read REPORT, the JSON output of "stella scan -o json", compute the VEX
consensus for every finding and print the report again with each finding's
vex{status, justification, suppressed, confidence, conflict, consensusDigest}.
Suppressed findings (not_affected, fixed) are kept, never removed. Verdicts
already in REPORT are replaced.

--product names the image digest the report is about, so statements about
that image (and its subcomponents) apply. --output table or json prints the
report; --output openvex prints the consensus of every decided finding as one
OpenVEX document (signed as DSSE with --sign-key and --subject).
--explain FILE also writes every consensus record, with the per-claim
explanation, as a JSON array.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := readReport(args[0])
			if err != nil {
				return err
			}
			in, err := vf.load(cmd.Context())
			if err != nil {
				return err
			}
			v, err := in.view()
			if err != nil {
				return err
			}
			applied, err := v.Apply(cmd.Context(), reportFindings(rep), vex.NormalizeRef(product), in.cutoff)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			verdicts := setVEX(rep, applied)
			if explain != "" {
				b, err := json.MarshalIndent(verdicts, "", "  ")
				if err != nil {
					return withCode(ExitInternal, "%v", err)
				}
				if err := writeOutput(cmd, explain, append(b, '\n')); err != nil {
					return err
				}
			}
			switch g.output {
			case "openvex":
				return writeConsensusOpenVEX(cmd, verdicts, sf)
			case "json":
				err = rep.WriteJSON(cmd.OutOrStdout())
			case "table":
				err = rep.WriteTable(cmd.OutOrStdout())
			default:
				return withCode(ExitUsage, "--output %q: want table, json or openvex", g.output)
			}
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			return nil
		},
	}
	vf.register(cmd.Flags(), "")
	sf.register(cmd.Flags())
	cmd.Flags().StringVar(&product, "product", "", "image digest (sha256:…) the report is about")
	cmd.Flags().StringVar(&explain, "explain", "", "also write every consensus record (with explanations) to this file")
	_ = cmd.MarkFlagRequired("vex")
	return cmd
}

// readReport reads a saved "stella scan -o json" report.
func readReport(path string) (*report.Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitUsage, "%v", err)
	}
	var rep report.Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return nil, withCode(ExitUsage, "%s is not a stella scan JSON report: %v", path, err)
	}
	if rep.Findings == nil || rep.Summary.BySeverity == nil {
		return nil, withCode(ExitUsage, "%s is not a stella scan JSON report: findings or summary missing", path)
	}
	return &rep, nil
}

// reportFindings gives the identity of every finding in rep, which is all
// the consensus needs: package purl, advisory id and aliases.
func reportFindings(rep *report.Report) []advisory.Finding {
	out := make([]advisory.Finding, len(rep.Findings))
	for i, f := range rep.Findings {
		out[i] = advisory.Finding{Package: f.PURL, AdvisoryID: f.AdvisoryID, Aliases: f.Aliases}
	}
	return out
}

// setVEX records each finding's verdict in the report and returns the
// verdicts. Suppressed findings are kept.
func setVEX(rep *report.Report, applied []vex.Applied) []vex.Verdict {
	verdicts := make([]vex.Verdict, 0, len(applied))
	for _, a := range applied {
		v := a.Verdict
		rep.SetVEX(a.Finding.AdvisoryID, a.Finding.Package, report.VEX{
			Status: string(v.Status), Justification: string(v.Justification), Suppressed: a.Suppressed,
			Confidence: v.Confidence, Conflict: v.Conflict, ConsensusDigest: v.Digest,
		})
		verdicts = append(verdicts, v)
	}
	return verdicts
}

// signFlags sign an output as a DSSE attestation about an image.
type signFlags struct {
	key, subject string
}

func (f *signFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.key, "sign-key", "", "sign the OpenVEX output with this PEM private key (DSSE)")
	fs.StringVar(&f.subject, "subject", "", "with --sign-key: the image the VEX is about, NAME@sha256:DIGEST")
}

// writeConsensusOpenVEX prints verdicts as canonical OpenVEX, or as a DSSE
// envelope over an in-toto statement carrying it when a key is given.
func writeConsensusOpenVEX(cmd *cobra.Command, verdicts []vex.Verdict, sf signFlags) error {
	doc, err := vex.ConsensusDocument(verdicts, "Stella VEX consensus")
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	raw, err := vex.MarshalOpenVEX(doc)
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	if sf.key == "" {
		if sf.subject != "" {
			return withCode(ExitUsage, "--subject needs --sign-key")
		}
		return writeOutput(cmd, "", append(raw, '\n'))
	}
	name, digest, ok := cutDigest(sf.subject)
	if !ok {
		return withCode(ExitUsage, "--subject %q: want NAME@sha256:<64 hex>", sf.subject)
	}
	signer, err := attest.LoadSigner(sf.key)
	if err != nil {
		return withCode(ExitTrust, "%v", err)
	}
	subj, err := attest.SubjectFromDigest(name, digest)
	if err != nil {
		return withCode(ExitUsage, "--subject: %v", err)
	}
	st, err := attest.NewStatement(vex.OpenVEXContext, json.RawMessage(raw), subj)
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	env, err := attest.Sign(cmd.Context(), st, signer)
	if err != nil {
		return withCode(ExitTrust, "%v", err)
	}
	b, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return withCode(ExitInternal, "%v", err)
	}
	return writeOutput(cmd, "", append(b, '\n'))
}

// parseCutoff reads an RFC 3339 cut-off; empty means now.
func parseCutoff(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, withCode(ExitUsage, "cutoff: %v", err)
	}
	return t, nil
}

// readVEXFile reads one VEX document in any supported format and
// attributes it to reg's issuers (see readVEXBytes).
func readVEXFile(ctx context.Context, path string, reg *vex.Registry) (*vex.Document, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitUsage, "--vex: %v", err)
	}
	doc, err := readVEXBytes(ctx, raw, reg)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return nil, withCode(ee.code, "--vex %s: %v", path, ee.err)
		}
		return nil, withCode(ExitUsage, "--vex %s: %v", path, err)
	}
	return doc, nil
}

// readVEXBytes reads one VEX document and attributes it to reg's issuers
// (vex.ReadAny); a signature that does not verify exits 4.
func readVEXBytes(ctx context.Context, raw []byte, reg *vex.Registry) (*vex.Document, error) {
	doc, err := vex.ReadAny(ctx, raw, reg)
	if errors.Is(err, attest.ErrVerify) {
		return nil, withCode(ExitTrust, "%v", err)
	}
	return doc, err
}

// writeExplanation prints a verdict and its claims as a table.
func writeExplanation(w io.Writer, v vex.Verdict) error {
	conflict := ""
	if v.Conflict {
		conflict = ", conflict"
	}
	fmt.Fprintf(w, "%s in %s: %s%s, confidence %g", v.Subject.Vulnerability, v.Subject.Package, v.Status, conflict, v.Confidence)
	if v.Justification != "" {
		fmt.Fprintf(w, " (%s)", v.Justification)
	}
	fmt.Fprintf(w, "\nconsensusDigest: %s\n", v.Digest)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ISSUER\tCLASS\tSTATUS\tP\tC\tR\tBASE\tM\tF\tSCORE\tTOP\tDROPPED")
	for _, c := range v.Claims {
		top := "-"
		if c.InTopSet {
			top = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%g\t%g\t%g\t%g\t%g\t%g\t%s\t%s\n", c.Issuer, c.Class, c.Status,
			c.Provenance, c.Coverage, c.Replayability, c.BaseTrust, c.Strength, c.Freshness, c.Score, top, dash(string(c.Dropped)))
	}
	return tw.Flush()
}

func writeJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return withCode(ExitInternal, "%v", fmt.Errorf("write: %w", err))
	}
	return nil
}

func newVEXFetchCmd(g *globals) *cobra.Command {
	var issuers string
	cmd := &cobra.Command{
		Use:   "fetch IMAGE@sha256:DIGEST [--issuers REGISTRY]",
		Short: "List the OpenVEX attestations attached to an image in a registry",
		Long: `Find the DSSE attestations attached to IMAGE — OCI 1.1 referrers (the
referrers API, or the referrers tag schema) and cosign's sha256-<hex>.att
tag — and read those carrying OpenVEX; other attestations (SBOM, SLSA
provenance) are skipped. Statements without products speak about the image.

With --issuers, envelopes are verified against the registry's keys (a bad
signature exits 4) and statements are attributed to its issuers. Registry
credentials come from the Docker config (as docker login writes them).

--output table (default) or json lists each document: format, contentHash,
author, issuer, verified and the number of statements.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			image, err := name.NewDigest(args[0])
			if err != nil {
				return withCode(ExitUsage, "%s: want IMAGE@sha256:<64 hex>: %v", args[0], err)
			}
			reg, err := loadRegistry(issuers)
			if err != nil {
				return err
			}
			docs, err := fetchAttachedVEX(cmd.Context(), image, reg)
			if err != nil {
				return err
			}
			rows := make([]attachedSummary, len(docs))
			for i, d := range docs {
				rows[i] = summarizeAttached(d)
			}
			switch g.output {
			case "json":
				return writeJSON(cmd, rows)
			case "table":
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CONTENT HASH\tFORMAT\tISSUER\tVERIFIED\tSTATEMENTS")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%d\n", r.ContentHash, r.Format, dash(r.Issuer), r.Verified, r.Statements)
				}
				if err := tw.Flush(); err != nil {
					return withCode(ExitInternal, "%v", err)
				}
				return nil
			}
			return withCode(ExitUsage, "--output %q: want table or json", g.output)
		},
	}
	cmd.Flags().StringVar(&issuers, "issuers", "", "issuer registry (YAML or JSON)")
	return cmd
}

// fetchAttachedVEX reads the OpenVEX attestations attached to image with
// the Docker config's credentials; a signature that does not verify exits
// 4, a registry error 2.
func fetchAttachedVEX(ctx context.Context, image name.Digest, reg *vex.Registry) ([]*vex.Document, error) {
	docs, err := vex.Attached(ctx, image, reg, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	switch {
	case errors.Is(err, attest.ErrVerify):
		return nil, withCode(ExitTrust, "%v", err)
	case err != nil:
		return nil, withCode(ExitUsage, "%v", err)
	}
	return docs, nil
}

// attachedSummary is one row of stella vex fetch.
type attachedSummary struct {
	Format      vex.Format `json:"format"`
	ContentHash string     `json:"contentHash"`
	Author      string     `json:"author"`
	Issuer      string     `json:"issuer"`   // the statements' issuers, comma-separated
	Verified    bool       `json:"verified"` // every statement's signature verified
	Statements  int        `json:"statements"`
}

func summarizeAttached(d *vex.Document) attachedSummary {
	s := attachedSummary{Format: d.Format, ContentHash: d.ContentHash, Author: d.Author, Statements: len(d.Statements),
		Verified: len(d.Statements) > 0}
	var issuers []string
	for _, st := range d.Statements {
		issuers = append(issuers, st.Issuer)
		s.Verified = s.Verified && st.Signature.Verified
	}
	slices.Sort(issuers)
	s.Issuer = strings.Join(slices.Compact(issuers), ",")
	return s
}
