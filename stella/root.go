package main

import (
	"os"

	"github.com/spf13/cobra"
)

// globals are the flags every API command shares.
type globals struct {
	server string
	token  string
	output string
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "stella",
		Short: "Stella: digest-pinned releases and supply-chain gates for Docker and Compose estates",
		Long: `Stella is a release control plane for container estates that do not run Kubernetes.

Run the reference server with "stella serve"; every other command talks to a
server over GraphQL (--server, --token, or STELLA_SERVER and STELLA_TOKEN).

` + exitCodesHelp,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.server, "server", envOr("STELLA_SERVER", "http://127.0.0.1:8080"), "Stella server URL (env STELLA_SERVER)")
	root.PersistentFlags().StringVar(&g.token, "token", os.Getenv("STELLA_TOKEN"), "API token (env STELLA_TOKEN)")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table or json (workflow template show: also yaml)")
	root.SetHelpTemplate(root.HelpTemplate())
	root.AddCommand(newServeCmd(), newTokenCmd(g), newEnvCmd(g), newTargetCmd(g), newIntegrationCmd(g),
		newComponentCmd(g), newReleaseCmd(g), newAuditCmd(g), newSBOMCmd(g))
	root.AddCommand(newScanCmd(g), newAdvisoryCmd(g), newVEXCmd(g), newGateCmd(g))
	root.AddCommand(newEvidenceCmd(g))
	root.AddCommand(newPromoteCmd(g), newApproveCmd(g), newRejectCmd(g), newPromotionCmd(g))
	root.AddCommand(newWorkflowCmd(g))
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
