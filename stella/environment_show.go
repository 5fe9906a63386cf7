package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

const envShowQuery = `query($key: String!, $n: Int) { environment(key: $key) { id name displayName orderIndex tier requiredApprovals
	current { application deployedAt release { id name digest } promotion { id } }
	promotions(first: $n) { nodes { id status requestedBy requestedAt release { name } } } } }`

// newEnvShowCmd: "env show ENV" prints what is deployed in an environment,
// one release per application, and its latest promotions.
func newEnvShowCmd(g *globals) *cobra.Command {
	var history int
	cmd := &cobra.Command{
		Use: "show ENV", Short: "Show what an environment runs: the current release of each application, and its latest promotions",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data struct {
				Environment map[string]any `json:"environment"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), envShowQuery, map[string]any{"key": args[0], "n": history}, &data); err != nil {
				return err
			}
			env := data.Environment
			if history == 0 {
				delete(env, "promotions")
			}
			if g.output == "json" {
				return printJSON(cmd, env)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s (%s, order %s, %s approval(s))\n\n", cell(env["name"]), cell(env["tier"]), cell(env["orderIndex"]), cell(env["requiredApprovals"]))
			if err := printTable(cmd, objects(env["current"]), []column{{"APPLICATION", "application"}, {"RELEASE", "release.name"},
				{"DIGEST", "release.digest"}, {"DEPLOYED", "deployedAt"}, {"PROMOTION", "promotion.id"}}); err != nil {
				return err
			}
			if history == 0 {
				return nil
			}
			fmt.Fprintln(out)
			return printTable(cmd, objects(lookup(env, "promotions.nodes")), []column{{"PROMOTION", "id"}, {"RELEASE", "release.name"},
				{"STATUS", "status"}, {"REQUESTED BY", "requestedBy"}, {"REQUESTED", "requestedAt"}})
		},
	}
	cmd.Flags().IntVar(&history, "history", 10, "how many of the latest promotions into the environment to list (0: none)")
	return cmd
}

// objects keeps the JSON objects of a list.
func objects(v any) []map[string]any {
	var out []map[string]any
	for _, it := range asSlice(v) {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
