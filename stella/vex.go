package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/vex"
)

func newVEXCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vex",
		Short: "Read VEX documents and compute trust-weighted VEX consensus (no server needed)",
	}
	cmd.AddCommand(newVEXShowCmd(), newVEXConsensusCmd())
	return cmd
}

func newVEXShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show FILE",
		Short: "Print the normalized statements of a VEX document as JSON",
		Long: `Read FILE (OpenVEX, CSAF 2.0 VEX, CycloneDX VEX, or OpenVEX in a DSSE
attestation) and print {format, contentHash, author, statements[], warnings[]}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := readVEXFile(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return writeJSON(cmd, doc)
		},
	}
}

func newVEXConsensusCmd() *cobra.Command {
	var files []string
	var product, pkg, vuln, cutoff string
	cmd := &cobra.Command{
		Use:   "consensus --vex FILE... --package PURL --vuln ID [--product P] [--cutoff RFC3339]",
		Short: "Print the consensus verdict for one (product, package, vulnerability) with its explanation",
		Long: `Compute the trust-weighted consensus (vex.md §5) over the statements of every
--vex FILE for one subject and print the consensus record (vex.md §6) as JSON:
status, conflict, confidence, justification, an explanation per claim and the
consensusDigest. --vuln may be repeated: the first is the primary id, the rest
its aliases. Issuers are not registered, so every issuer gets the hub
defaults. --cutoff defaults to now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseCutoff(cutoff)
			if err != nil {
				return err
			}
			stmts, err := loadVEX(cmd.Context(), files)
			if err != nil {
				return err
			}
			c, err := vex.NewConsensus(nil)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			ids := strings.Split(vuln, ",")
			v, err := c.Evaluate(cmd.Context(), vex.Subject{Product: product, Package: pkg, Vuln: ids}, stmts, at)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			return writeJSON(cmd, v)
		},
	}
	cmd.Flags().StringArrayVar(&files, "vex", nil, "VEX document: OpenVEX, CSAF, CycloneDX or a DSSE attestation (repeatable)")
	cmd.Flags().StringVar(&product, "product", "", "product: an image digest or product purl")
	cmd.Flags().StringVar(&pkg, "package", "", "package purl")
	cmd.Flags().StringVar(&vuln, "vuln", "", "vulnerability id, then its aliases, comma-separated")
	cmd.Flags().StringVar(&cutoff, "cutoff", "", "evaluation time (RFC 3339); default now")
	_ = cmd.MarkFlagRequired("vex")
	_ = cmd.MarkFlagRequired("package")
	_ = cmd.MarkFlagRequired("vuln")
	return cmd
}

// parseCutoff reads an RFC 3339 cut-off; empty means now.
func parseCutoff(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, withCode(ExitUsage, "--cutoff: %v", err)
	}
	return t, nil
}

// readVEXFile reads one VEX document in any supported format; a DSSE
// envelope (payloadType) is read as an attestation, unverified.
func readVEXFile(ctx context.Context, path string) (*vex.Document, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitUsage, "--vex: %v", err)
	}
	var probe struct {
		PayloadType string `json:"payloadType"`
	}
	var doc *vex.Document
	if json.Unmarshal(raw, &probe) == nil && probe.PayloadType != "" {
		doc, err = vex.ReadAttestation(ctx, raw, attest.Trust{})
	} else {
		doc, err = vex.Read(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, withCode(ExitUsage, "--vex %s: %v", path, err)
	}
	return doc, nil
}

// loadVEX reads every file and returns all their statements.
func loadVEX(ctx context.Context, paths []string) ([]vex.Statement, error) {
	var stmts []vex.Statement
	for _, p := range paths {
		doc, err := readVEXFile(ctx, p)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, doc.Statements...)
	}
	return stmts, nil
}

func writeJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return withCode(ExitInternal, "%v", fmt.Errorf("write: %w", err))
	}
	return nil
}
