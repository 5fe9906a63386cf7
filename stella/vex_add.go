package main

import (
	"strings"

	"github.com/spf13/cobra"
)

const vexAddFields = `digest statementCount inserted document { format author createdAt
	statements { digest issuer product subcomponents vulnerability status justification impactStatement actionStatement timestamp } }`

var vexAddCols = []column{{"DIGEST", "digest"}, {"INSERTED", "inserted"}, {"FORMAT", "document.format"}, {"AUTHOR", "document.author"},
	{"STATEMENTS", "statementCount"}}

// newVEXAddCmd is `stella vex add`: one manual VEX statement, stored by the
// server (addVEXStatement) as an OpenVEX document of format manual.
func newVEXAddCmd(g *globals) *cobra.Command {
	var product, vuln, status, justification, impact, action string
	var subs []string
	cmd := &cobra.Command{
		Use:   "add --product REF --vuln ID --status STATUS [--justification J] [--impact TEXT] [--action TEXT] [--subcomponent PURL]...",
		Short: "Record a VEX statement by hand on the Stella server",
		Long: `Record a VEX statement by hand on the Stella server (vex.md §1, manual statement).

The server stores it as an OpenVEX document of format manual, dated by its
clock and issued by the tenant's internal issuer (the registry's internal-class
issuer, else "<tenant> internal"). Manual statements score provenance 0.10 and
replayability 0.20 in the consensus. Adding the same statement at the same
instant stores nothing new (inserted: false). Needs the releaser role.

--product is an image digest (sha256:…) or a package URL; --subcomponent
narrows it to packages inside it. --status is affected, not_affected, fixed or
under_investigation. A not_affected statement needs --justification
(component_not_present, vulnerable_code_not_present,
vulnerable_code_not_in_execute_path,
vulnerable_code_cannot_be_controlled_by_adversary,
inline_mitigations_already_exist) or --impact; --action is for affected.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := map[string]any{"product": product, "vulnerability": vuln, "status": strings.TrimSpace(status)}
			if len(subs) > 0 {
				in["subcomponents"] = subs
			}
			for k, v := range map[string]string{"justification": justification, "impactStatement": impact, "actionStatement": action} {
				if v != "" {
					in[k] = v
				}
			}
			return inputMutation(cmd, g, "addVEXStatement", "AddVexStatementInput", in, vexAddFields, vexAddCols)
		},
	}
	f := cmd.Flags()
	f.StringVar(&product, "product", "", "image digest (sha256:…) or package URL the statement is about (required)")
	f.StringVar(&vuln, "vuln", "", "vulnerability id, e.g. CVE-2024-0727 (required)")
	f.StringVar(&status, "status", "", "affected, not_affected, fixed or under_investigation (required)")
	f.StringVar(&justification, "justification", "", "not_affected justification (OpenVEX name)")
	f.StringVar(&impact, "impact", "", "impact statement: why the product is not affected")
	f.StringVar(&action, "action", "", "action statement: what to do (affected only)")
	f.StringArrayVar(&subs, "subcomponent", nil, "package URL inside the product the statement is narrowed to (repeatable)")
	for _, name := range []string{"product", "vuln", "status"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
