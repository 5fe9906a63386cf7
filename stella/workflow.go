package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

const workflowTemplateFields = `name version digest description inputs outputs createdAt createdBy builtIn source
	nodes { id type name config dependsOn when timeoutSeconds onFailure retry { maxAttempts backoffSeconds multiplier maxBackoffSeconds } }`

var workflowTemplateCols = []column{{"NAME", "name"}, {"VERSION", "version"}, {"DIGEST", "digest"}, {"CREATED BY", "createdBy"}, {"CREATED", "createdAt"}}

var workflowTemplateShowCols = []column{{"Name", "name"}, {"Version", "version"}, {"Digest", "digest"}, {"Description", "description"},
	{"Inputs", "inputs"}, {"Outputs", "outputs"}, {"Created by", "createdBy"}, {"Created", "createdAt"}, {"Built in", "builtIn"}}

var workflowNodeCols = []column{{"NODE", "id"}, {"TYPE", "type"}, {"DEPENDS ON", "dependsOn"}, {"WHEN", "when"},
	{"TIMEOUT", "timeoutSeconds"}, {"ATTEMPTS", "retry.maxAttempts"}, {"ON FAILURE", "onFailure"}}

// newWorkflowCmd: stella workflow template apply|list|show, and
// stella workflow run start|show|logs|cancel|approve|events.
func newWorkflowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "workflow", Short: "Workflow templates (the steps a deployment runs) and their runs"}
	tpl := &cobra.Command{Use: "template", Short: "Save, list and show versioned workflow templates"}
	tpl.AddCommand(newWorkflowApplyCmd(g), newWorkflowListCmd(g), newWorkflowShowCmd(g))
	cmd.AddCommand(tpl, newWorkflowRunCmd(g))
	return cmd
}

func newWorkflowApplyCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "apply FILE [--idempotency-key KEY]",
		Short: "Validate a template (YAML or JSON) and save it as its next version; unchanged content keeps the latest version",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[0])
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			var data map[string]any
			err = newClient(g.server, g.token).do(cmd.Context(),
				`mutation($t: String!, $idempotencyKey: String) { saveWorkflowTemplate(input: {template: $t}, idempotencyKey: $idempotencyKey) { `+workflowTemplateFields+` } }`,
				withIdempotencyKey(map[string]any{"t": string(doc)}, key), &data)
			if err != nil {
				return err
			}
			saved, _ := data["saveWorkflowTemplate"].(map[string]any)
			if g.output == "json" {
				return printJSON(cmd, saved)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s version %s %s\n", cell(saved["name"]), cell(saved["version"]), cell(saved["digest"]))
			return err
		},
	}
	idempotencyKeyFlag(cmd, &key)
	return cmd
}

func newWorkflowListCmd(g *globals) *cobra.Command {
	var name string
	var all bool
	var first int
	cmd := listCommand(g, "list", "List saved templates, the latest version of each (the built-in default-deploy is not listed)",
		`query($n: String, $all: Boolean, $first: Int) { workflowTemplates(name: $n, allVersions: $all, first: $first) { nodes { name version digest createdBy createdAt } pageInfo { hasNextPage endCursor } } }`,
		"workflowTemplates", workflowTemplateCols, func() (map[string]any, error) {
			v := map[string]any{"all": all, "first": first}
			if name != "" {
				v["n"] = name
			}
			return v, nil
		})
	cmd.Flags().StringVar(&name, "name", "", "only this template")
	cmd.Flags().BoolVar(&all, "all-versions", false, "every version, newest first within a name")
	cmd.Flags().IntVar(&first, "first", 50, "page size (max 500)")
	return cmd
}

func newWorkflowShowCmd(g *globals) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "show NAME [--version N] [-o table|json|yaml]",
		Short: "Show a template version (the latest by default); -o yaml prints it as a document apply takes back",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]any{"n": args[0]}
			if version != 0 {
				vars["v"] = version
			}
			var data map[string]any
			if err := newClient(g.server, g.token).do(cmd.Context(),
				`query($n: String!, $v: Int) { workflowTemplate(name: $n, version: $v) { `+workflowTemplateFields+` } }`, vars, &data); err != nil {
				return err
			}
			t, _ := data["workflowTemplate"].(map[string]any)
			switch g.output {
			case "json":
				return printJSON(cmd, t)
			case "yaml":
				doc, err := templateYAML(t)
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(doc)
				return err
			}
			if err := printObject(cmd, t, workflowTemplateShowCols); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return printTable(cmd, objects(t["nodes"]), workflowNodeCols)
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "this version instead of the latest")
	return cmd
}

// templateYAML turns a template's canonical source into a block-style YAML
// document, name first, headed by the version and digest it was read from.
// Keys keep the source's (canonical, sorted) order, so the output is the
// same bytes for the same version.
func templateYAML(t map[string]any) ([]byte, error) {
	source, _ := t["source"].(string)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(source), &doc); err != nil || len(doc.Content) != 1 {
		return nil, withCode(ExitInternal, "the server's template source is not a JSON object: %v", err)
	}
	root := doc.Content[0]
	blockStyle(root)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "name" && i > 0 {
			kv := append([]*yaml.Node{}, root.Content[i:i+2]...)
			root.Content = append(kv, append(root.Content[:i:i], root.Content[i+2:]...)...)
			break
		}
	}
	doc.HeadComment = fmt.Sprintf("%s version %s, %s", cell(t["name"]), cell(t["version"]), cell(t["digest"]))
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return out.Bytes(), enc.Close()
}

// blockStyle undoes the flow style and quoting JSON input leaves on nodes;
// strings that need quotes in YAML get them back from the encoder.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
