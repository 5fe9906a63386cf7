package main

import (
	"github.com/spf13/cobra"
)

const promotionFields = `id status reason requestedBy requestedAt decisions finalDecision
	release { name digest } environment { name }
	approvals { approverId action comment at } evidence { id type contentHash keyId }`

var promotionCols = []column{{"ID", "id"}, {"RELEASE", "release.name"}, {"ENVIRONMENT", "environment.name"}, {"STATUS", "status"}, {"REQUESTED BY", "requestedBy"}, {"REQUESTED", "requestedAt"}}

var promotionShowCols = []column{{"Id", "id"}, {"Release", "release.name"}, {"Digest", "release.digest"}, {"Environment", "environment.name"},
	{"Status", "status"}, {"Reason", "reason"}, {"Requested by", "requestedBy"}, {"Requested", "requestedAt"},
	{"Decisions", "decisions"}, {"Approvals", "approvals"}, {"Evidence", "evidence"}}

// newPromoteCmd: stella promote RELEASE --to ENV [--reason].
func newPromoteCmd(g *globals) *cobra.Command {
	var to, reason, key string
	cmd := &cobra.Command{
		Use: "promote RELEASE --to ENVIRONMENT [--reason TEXT] [--idempotency-key KEY]", Short: "Request a release's promotion into an environment; it deploys when its gates and approvals allow",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]any{"r": args[0], "e": to}
			if reason != "" {
				vars["why"] = reason
			}
			return runAndPrint(cmd, g, `mutation($r: String!, $e: String!, $why: String, $idempotencyKey: String) { requestPromotion(release: $r, environment: $e, reason: $why, idempotencyKey: $idempotencyKey) { `+promotionFields+` } }`,
				withIdempotencyKey(vars, key), "requestPromotion", promotionShowCols)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "target environment (id or name)")
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	idempotencyKeyFlag(cmd, &key)
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// newApproveCmd: stella approve PROMOTION [--comment].
func newApproveCmd(g *globals) *cobra.Command {
	var comment, key string
	cmd := &cobra.Command{
		Use: "approve PROMOTION [--comment TEXT] [--idempotency-key KEY]", Short: "Approve a promotion waiting for approvals (approver role)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]any{"id": args[0]}
			if comment != "" {
				vars["c"] = comment
			}
			return runAndPrint(cmd, g, `mutation($id: ID!, $c: String, $idempotencyKey: String) { approvePromotion(id: $id, comment: $c, idempotencyKey: $idempotencyKey) { `+promotionFields+` } }`,
				withIdempotencyKey(vars, key), "approvePromotion", promotionShowCols)
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "comment")
	idempotencyKeyFlag(cmd, &key)
	return cmd
}

// newRejectCmd: stella reject PROMOTION --comment.
func newRejectCmd(g *globals) *cobra.Command {
	var comment, key string
	cmd := &cobra.Command{
		Use: "reject PROMOTION --comment TEXT [--idempotency-key KEY]", Short: "Reject a promotion waiting for approvals (approver role)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, `mutation($id: ID!, $c: String!, $idempotencyKey: String) { rejectPromotion(id: $id, comment: $c, idempotencyKey: $idempotencyKey) { `+promotionFields+` } }`,
				withIdempotencyKey(map[string]any{"id": args[0], "c": comment}, key), "rejectPromotion", promotionShowCols)
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why (required)")
	idempotencyKeyFlag(cmd, &key)
	_ = cmd.MarkFlagRequired("comment")
	return cmd
}

// newPromotionCmd: stella promotion list|show|cancel.
func newPromotionCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "promotion", Short: "List, show and cancel promotions"}
	var rel, env, status string
	var first int
	list := listCommand(g, "list", "List promotions, newest first",
		`query($f: PromotionFilter, $first: Int) { promotions(filter: $f, first: $first) { nodes { `+promotionFields+` } pageInfo { hasNextPage endCursor } } }`,
		"promotions", promotionCols, func() (map[string]any, error) {
			filter := map[string]any{}
			for k, v := range map[string]string{"release": rel, "environment": env, "status": status} {
				if v != "" {
					filter[k] = v
				}
			}
			return map[string]any{"f": filter, "first": first}, nil
		})
	lf := list.Flags()
	lf.StringVar(&rel, "release", "", "only this release (id or name)")
	lf.StringVar(&env, "env", "", "only this target environment (id or name)")
	lf.StringVar(&status, "status", "", "only this status, e.g. pending_approval")
	lf.IntVar(&first, "first", 50, "page size (max 500)")

	show := &cobra.Command{
		Use: "show PROMOTION", Short: "Show a promotion with its decisions, approvals and evidence", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, `query($id: ID!) { promotion(id: $id) { `+promotionFields+` } }`,
				map[string]any{"id": args[0]}, "promotion", promotionShowCols)
		},
	}
	var cancelKey string
	cancel := &cobra.Command{
		Use: "cancel PROMOTION [--idempotency-key KEY]", Short: "Cancel a promotion that has not started deploying", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, `mutation($id: ID!, $idempotencyKey: String) { cancelPromotion(id: $id, idempotencyKey: $idempotencyKey) { `+promotionFields+` } }`,
				withIdempotencyKey(map[string]any{"id": args[0]}, cancelKey), "cancelPromotion", promotionShowCols)
		},
	}
	idempotencyKeyFlag(cancel, &cancelKey)
	cmd.AddCommand(list, show, cancel, newPromotionEvaluateCmd(g))
	return cmd
}
