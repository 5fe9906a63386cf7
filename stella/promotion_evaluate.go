package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newPromotionEvaluateCmd: stella promotion evaluate PROMOTION | --pending.
func newPromotionEvaluateCmd(g *globals) *cobra.Command {
	var pending bool
	cmd := &cobra.Command{
		Use:   "evaluate PROMOTION | --pending",
		Short: "Evaluate a pending promotion again now (or, with --pending, every pending promotion of the tenant)",
		Long: `Evaluate a pending promotion's gates again now and move it as the decision says; an approved
promotion then deploys if its lane is free. The server does this by itself after a VEX import or
change, when a schedule window opens, and when it starts again after a crash. Run it by hand for a
re-check, or with --pending after "stella advisory import" or "sync", which write to the database
outside the server.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if pending == (len(args) == 1) || len(args) > 1 {
				return withCode(ExitUsage, "give either one PROMOTION or --pending")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !pending {
				return runAndPrint(cmd, g, `mutation($id: ID!) { evaluatePromotion(id: $id) { `+promotionFields+` } }`,
					map[string]any{"id": args[0]}, "evaluatePromotion", promotionShowCols)
			}
			var data struct {
				N int `json:"evaluatePendingPromotions"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), `mutation { evaluatePendingPromotions }`, nil, &data); err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd, map[string]int{"evaluated": data.N})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "evaluated %d pending promotion(s)\n", data.N)
			return nil
		},
	}
	cmd.Flags().BoolVar(&pending, "pending", false, "every pending promotion of the tenant")
	return cmd
}
