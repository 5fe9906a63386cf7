package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/gate"
)

// newGateRecordCmd: stella gate record DIGEST [-f FILE], a stored decision
// record fetched from the server (a promotion lists its records' digests).
func newGateRecordCmd(g *globals) *cobra.Command {
	var file string
	var force bool
	cmd := &cobra.Command{
		Use:   "record DIGEST [-f FILE]",
		Short: "Fetch a decision record the server keeps, by its digest (stella promotion show lists them)",
		Long: `Fetch a decision record from the server by its recordDigest and check that
its bytes hash to it. Prints the decision, its reason codes and every gate;
-f FILE writes the record exactly as stored (canonical JSON, RFC 8785), for
stella gate replay and for auditors; --output json prints it.

Exit codes: 0 printed or written; 2 not found, or FILE exists (without
--force); 3 the server's bytes do not match the digest.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data struct {
				DecisionRecord *struct{ Record string } `json:"decisionRecord"`
			}
			err := newClient(g.server, g.token).do(cmd.Context(), `query($d: String!) { decisionRecord(digest: $d) { record } }`,
				map[string]any{"d": args[0]}, &data)
			if err != nil {
				return err
			}
			if data.DecisionRecord == nil {
				return withCode(ExitUsage, "no decision record %s", args[0])
			}
			raw := []byte(data.DecisionRecord.Record)
			rec, err := gate.ParseDecision(raw)
			if err != nil {
				return withCode(ExitIntegrity, "record %s: %v", args[0], err)
			}
			if err := rec.CheckDigests(); err != nil || rec.RecordDigest != args[0] {
				return withCode(ExitIntegrity, "record %s: the server's bytes do not match the digest asked for (%v)", args[0], err)
			}
			if file != "" {
				if _, err := os.Stat(file); err == nil && !force {
					return withCode(ExitUsage, "%s exists; --force overwrites it", file)
				}
				if err := writeFileAtomic(file, func(w io.Writer) error { _, err := w.Write(raw); return err }); err != nil {
					return withCode(ExitUsage, "-f %s: %v", file, err)
				}
				return nil
			}
			if g.output == "json" {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), string(raw))
				return err
			}
			return printDecisionSummary(cmd.OutOrStdout(), rec)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write the canonical record to FILE instead of printing a summary")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE")
	return cmd
}

// printDecisionSummary prints what a record decided and each gate's result.
func printDecisionSummary(w io.Writer, rec *gate.Decision) error {
	fmt.Fprintf(w, "decision: %s (%s, %s) for %s (%s) → %s (%s) at %s\n", rec.Decision, rec.Phase, rec.Mode, rec.Release.Name,
		rec.Release.Digest, rec.Environment.Name, rec.Environment.Tier, rec.ClockCutoff.Format(time.RFC3339))
	if rec.PromotionID != "" {
		fmt.Fprintf(w, "promotion: %s\n", rec.PromotionID)
	}
	fmt.Fprintf(w, "reasons: %s\n", dash(strings.Join(rec.ReasonCodes, ", ")))
	for _, a := range rec.Approvals {
		fmt.Fprintf(w, "approval: %s by %s at %s\n", a.Action, a.ApproverID, a.At.Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GATE\tTYPE\tSTATUS\tREASONS")
	for _, gr := range rec.Gates {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", gr.ID, gr.Type, gr.Status, dash(strings.Join(gr.ReasonCodes, ",")))
	}
	return tw.Flush()
}
