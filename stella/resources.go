package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// getCommand: "get KEY" runs `{ field(key: $key) { fields } }`.
func getCommand(g *globals, field, fields string, cols []column) *cobra.Command {
	return &cobra.Command{
		Use: "get KEY", Short: "Show one by id or name", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, fmt.Sprintf(`query($key: String!) { %s(key: $key) { %s } }`, field, fields), map[string]any{"key": args[0]}, field, cols)
		},
	}
}

// keyMutation: "VERB KEY" runs `mutation { name(key: $key) { fields } }`.
func keyMutation(g *globals, use, short, name, fields string, cols []column) *cobra.Command {
	return &cobra.Command{
		Use: use + " KEY", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, fmt.Sprintf(`mutation($key: String!) { %s(key: $key) { %s } }`, name, fields), map[string]any{"key": args[0]}, name, cols)
		},
	}
}

// inputMutation runs `mutation($in: Type!) { name(input: $in) { fields } }`.
func inputMutation(cmd *cobra.Command, g *globals, name, inputType string, in map[string]any, fields string, cols []column) error {
	return runAndPrint(cmd, g, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s } }`, inputType, name, fields), map[string]any{"in": in}, name, cols)
}

const envFields = `id name displayName orderIndex tier isProduction requiredApprovals approverGroups requireSeparationOfDuties requirePreviousEnvironment
	freezeWindows { id start end reason exceptions } config { variables { key value } agentLabels deploymentTimeoutSeconds } compliance version createdAt`

var envCols = []column{{"NAME", "name"}, {"ORDER", "orderIndex"}, {"TIER", "tier"}, {"APPROVALS", "requiredApprovals"}, {"SOD", "requireSeparationOfDuties"}, {"ID", "id"}}

func newEnvCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "env", Aliases: []string{"environment"}, Short: "Manage environments (dev, stage, prod, …)"}
	var (
		display, tier, autoFrom string
		order, approvals, tmo   int
		sod, noPrev             bool
		groups, labels, vars    []string
	)
	create := &cobra.Command{
		Use: "create NAME --order N --tier development|staging|production", Short: "Create an environment", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kv, err := keyValues("var", vars)
			if err != nil {
				return err
			}
			in := map[string]any{"name": args[0], "orderIndex": order, "tier": tier, "requiredApprovals": approvals,
				"approverGroups": groups, "requireSeparationOfDuties": sod, "requirePreviousEnvironment": !noPrev,
				"agentLabels": labels, "variables": kv, "deploymentTimeoutSeconds": tmo}
			if display != "" {
				in["displayName"] = display
			}
			if autoFrom != "" {
				in["autoPromoteFrom"] = autoFrom
			}
			return inputMutation(cmd, g, "createEnvironment", "EnvironmentInput", in, envFields, envCols)
		},
	}
	f := create.Flags()
	f.StringVar(&display, "display-name", "", "display name")
	f.IntVar(&order, "order", 0, "promotion order: 0 for the first environment, then 1, 2, …")
	f.StringVar(&tier, "tier", "development", "development, staging or production")
	f.IntVar(&approvals, "approvals", 0, "approvals required to promote")
	f.StringSliceVar(&groups, "approver-group", nil, "groups whose members may approve (repeatable)")
	f.BoolVar(&sod, "separation-of-duties", false, "the requester may not approve")
	f.BoolVar(&noPrev, "no-previous-environment", false, "do not require a deployment to the previous environment first")
	f.StringVar(&autoFrom, "auto-promote-from", "", "environment to auto-promote from")
	f.StringSliceVar(&labels, "agent-label", nil, "agent labels (repeatable)")
	f.StringArrayVar(&vars, "var", nil, "variable key=value (repeatable)")
	f.IntVar(&tmo, "deployment-timeout", 0, "deployment timeout in seconds (default 600)")
	cmd.AddCommand(create,
		listCommand(g, "list", "List environments in promotion order", `{ environments(first: 500) { nodes { `+envFields+` } } }`, "environments", envCols, nil),
		getCommand(g, "environment", envFields, envCols), newEnvShowCmd(g),
		keyMutation(g, "delete", "Delete an environment that has no targets or current releases", "deleteEnvironment", "id", nil))
	return cmd
}

const targetFields = `id name type environment { name } labels { key value } connection { key value } secretKeys healthStatus agentId createdAt`

var targetCols = []column{{"NAME", "name"}, {"TYPE", "type"}, {"ENVIRONMENT", "environment.name"}, {"HEALTH", "healthStatus"}, {"SECRETS", "secretKeys"}, {"ID", "id"}}

func newTargetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "target", Short: "Manage deployment targets"}
	var env, typ, agent string
	var labels, conns, secretEnvs []string
	register := &cobra.Command{
		Use: "register NAME --env ENV --type TYPE", Short: "Register a target", Args: cobra.ExactArgs(1),
		Long: "Register a target. Secret connection settings are read from environment variables\n(--secret-env key=VARNAME), never from the command line, and are sealed at rest.",
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := keyValues("label", labels)
			if err != nil {
				return err
			}
			c, err := keyValues("conn", conns)
			if err != nil {
				return err
			}
			s, err := secretsFromEnv(secretEnvs)
			if err != nil {
				return err
			}
			in := map[string]any{"name": args[0], "environment": env, "type": typ, "labels": l, "connection": c, "secrets": s}
			if agent != "" {
				in["agentId"] = agent
			}
			return inputMutation(cmd, g, "registerTarget", "TargetInput", in, targetFields, targetCols)
		},
	}
	f := register.Flags()
	f.StringVar(&env, "env", "", "environment id or name")
	f.StringVar(&typ, "type", "docker_host", "docker_host, compose_host, ssh_host, ecs_service or nomad_job")
	f.StringArrayVar(&labels, "label", nil, "label key=value (repeatable)")
	f.StringArrayVar(&conns, "conn", nil, "connection setting key=value (repeatable)")
	f.StringArrayVar(&secretEnvs, "secret-env", nil, "secret setting key=ENVVAR, read from the environment (repeatable)")
	f.StringVar(&agent, "agent", "", "pinned agent id")
	var listEnv string
	list := listCommand(g, "list", "List targets", `query($f: TargetFilter) { targets(filter: $f, first: 500) { nodes { `+targetFields+` } } }`, "targets", targetCols,
		func() (map[string]any, error) {
			if listEnv == "" {
				return nil, nil
			}
			return map[string]any{"f": map[string]any{"environment": listEnv}}, nil
		})
	list.Flags().StringVar(&listEnv, "env", "", "only targets of this environment")
	cmd.AddCommand(register, list, getCommand(g, "target", targetFields, targetCols),
		keyMutation(g, "unregister", "Unregister a target", "unregisterTarget", "id", nil))
	return cmd
}

// secretsFromEnv reads key=VARNAME pairs from the process environment.
func secretsFromEnv(pairs []string) ([]map[string]string, error) {
	out := make([]map[string]string, 0, len(pairs))
	for _, p := range pairs {
		k, name, ok := strings.Cut(p, "=")
		if !ok || k == "" || name == "" {
			return nil, withCode(ExitUsage, "--secret-env %q: want key=ENVVAR", p)
		}
		v, set := os.LookupEnv(name)
		if !set {
			return nil, withCode(ExitUsage, "--secret-env %s: environment variable %s is not set", k, name)
		}
		out = append(out, map[string]string{"key": k, "value": v})
	}
	return out, nil
}

const integrationFields = `id name type category config { endpoint authMode insecure timeoutSeconds headerNames } hasCredential healthStatus lastHealthCheckAt lastHealthMessage createdAt`

var integrationCols = []column{{"NAME", "name"}, {"TYPE", "type"}, {"ENDPOINT", "config.endpoint"}, {"CREDENTIAL", "hasCredential"}, {"HEALTH", "healthStatus"}, {"MESSAGE", "lastHealthMessage"}, {"ID", "id"}}

func newIntegrationCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "integration", Short: "Manage registry and SCM integrations"}
	var typ, endpoint, authMode, user, passEnv, tokenEnv string
	var insecure, reuse bool
	create := &cobra.Command{
		Use: "create NAME --type registry.oci --endpoint HOST[:PORT]", Short: "Create an integration", Args: cobra.ExactArgs(1),
		Long: "Create an integration. Credentials are read from environment variables\n(--password-env, --token-env), sealed at rest and never shown again.",
		RunE: func(cmd *cobra.Command, args []string) error {
			in := map[string]any{"name": args[0], "type": typ, "insecure": insecure, "reuseCredential": reuse}
			if endpoint != "" {
				in["endpoint"] = endpoint
			}
			if authMode != "" {
				in["authMode"] = authMode
			}
			cred := map[string]any{}
			if user != "" {
				cred["username"] = user
			}
			for flag, name := range map[string]string{"password": passEnv, "token": tokenEnv} {
				if name == "" {
					continue
				}
				v, ok := os.LookupEnv(name)
				if !ok {
					return withCode(ExitUsage, "--%s-env: environment variable %s is not set", flag, name)
				}
				cred[flag] = v
			}
			if len(cred) > 0 {
				in["credential"] = cred
			}
			return inputMutation(cmd, g, "createIntegration", "IntegrationInput", in, integrationFields, integrationCols)
		},
	}
	f := create.Flags()
	f.StringVar(&typ, "type", "registry.oci", "registry.oci, registry.harbor, scm.github or notify.webhook (endpoint: the URL)")
	f.StringVar(&endpoint, "endpoint", "", "registry host[:port] or API base URL")
	f.StringVar(&authMode, "auth", "", "none, basic or token (default from the credential given)")
	f.BoolVar(&insecure, "insecure", false, "plain HTTP (registries on loopback)")
	f.StringVar(&user, "username", "", "username for basic auth")
	f.StringVar(&passEnv, "password-env", "", "environment variable holding the password")
	f.StringVar(&tokenEnv, "token-env", "", "environment variable holding the token")
	f.BoolVar(&reuse, "reuse-credential", false, "reuse the credential of the last integration of this type")
	cmd.AddCommand(create,
		listCommand(g, "list", "List integrations", `{ integrations(first: 500) { nodes { `+integrationFields+` } } }`, "integrations", integrationCols, nil),
		getCommand(g, "integration", integrationFields, integrationCols),
		keyMutation(g, "test", "Test the connection and record the health", "testIntegration", integrationFields, integrationCols),
		keyMutation(g, "delete", "Delete an integration no component uses", "deleteIntegration", "id", nil))
	return cmd
}

const componentFields = `id name displayName imageRepository registry { name } versioning { type tagPattern semverExtract } defaultChannel deploymentTemplate createdAt`

// componentCols shows TEMPLATE "-" for a component without one: it runs default-deploy.
var componentCols = []column{{"NAME", "name"}, {"REPOSITORY", "imageRepository"}, {"REGISTRY", "registry.name"}, {"STRATEGY", "versioning.type"}, {"TEMPLATE", "deploymentTemplate"}, {"ID", "id"}}

func newComponentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "component", Short: "Manage components (deployable images) and their version maps"}
	var repo, registry, strategy, pattern, extract, template string
	create := &cobra.Command{
		Use: "create NAME --repo HOST/PATH --registry INTEGRATION", Short: "Create a component", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := map[string]any{"name": args[0], "imageRepository": repo, "registry": registry,
				"versioning": map[string]any{"type": strategy, "tagPattern": pattern, "semverExtract": extract}}
			if template != "" {
				in["deploymentTemplate"] = template
			}
			return inputMutation(cmd, g, "createComponent", "ComponentInput", in, componentFields, componentCols)
		},
	}
	f := create.Flags()
	f.StringVar(&repo, "repo", "", "image repository, host[:port]/path or a path in the registry")
	f.StringVar(&registry, "registry", "", "registry integration id or name")
	f.StringVar(&strategy, "strategy", "semver", "semver, date, sequential or manual")
	f.StringVar(&pattern, "tag-pattern", "", "regular expression a tag must match")
	f.StringVar(&extract, "semver-extract", "", "regular expression whose first group is the version")
	f.StringVar(&template, "deployment-template", "", "workflow template that deploys it (default: default-deploy)")
	sync := &cobra.Command{
		Use: "sync KEY", Short: "List tags, resolve each to its digest, append new and moved tags", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := `mutation($key: String!) { syncComponentVersions(key: $key) { component { name } added { tag digest semver } unchanged skippedTags } }`
			var data map[string]any
			if err := newClient(g.server, g.token).do(cmd.Context(), q, map[string]any{"key": args[0]}, &data); err != nil {
				return err
			}
			res, _ := data["syncComponentVersions"].(map[string]any)
			if g.output == "json" {
				return printJSON(cmd, res)
			}
			added, _ := res["added"].([]any)
			rows := make([]map[string]any, 0, len(added))
			for _, a := range added {
				rows = append(rows, a.(map[string]any))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d tag(s) added or moved, %v unchanged, %d skipped\n", len(added), res["unchanged"], len(asSlice(res["skippedTags"])))
			return printTable(cmd, rows, []column{{"TAG", "tag"}, {"DIGEST", "digest"}, {"SEMVER", "semver"}})
		},
	}
	var vtag string
	versions := &cobra.Command{
		Use: "versions COMPONENT", Short: "Show a component's version map, newest first", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data struct {
				Component struct {
					Versions struct {
						Nodes []map[string]any `json:"nodes"`
					} `json:"versions"`
				} `json:"component"`
			}
			vars := map[string]any{"key": args[0]}
			if vtag != "" {
				vars["tag"] = vtag
			}
			q := `query($key: String!, $tag: String) { component(key: $key) { versions(tag: $tag, first: 500) { nodes { tag digest semver channel resolvedAt source } } } }`
			if err := newClient(g.server, g.token).do(cmd.Context(), q, vars, &data); err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd, data.Component.Versions.Nodes)
			}
			return printTable(cmd, data.Component.Versions.Nodes, []column{{"TAG", "tag"}, {"DIGEST", "digest"}, {"SEMVER", "semver"}, {"RESOLVED", "resolvedAt"}})
		},
	}
	versions.Flags().StringVar(&vtag, "tag", "", "only entries of this tag")
	cmd.AddCommand(create, sync, versions, newComponentSetTemplateCmd(g),
		listCommand(g, "list", "List components", `{ components(first: 500) { nodes { `+componentFields+` } } }`, "components", componentCols, nil),
		getCommand(g, "component", componentFields, componentCols),
		keyMutation(g, "delete", "Delete a component no release pins", "deleteComponent", "id", nil))
	return cmd
}

// newComponentSetTemplateCmd: "set-template COMPONENT TEMPLATE" names the
// workflow template that deploys a component; --clear (or an empty
// TEMPLATE) goes back to default-deploy.
func newComponentSetTemplateCmd(g *globals) *cobra.Command {
	var clear bool
	cmd := &cobra.Command{
		Use: "set-template COMPONENT (TEMPLATE | --clear)", Short: "Name the workflow template that deploys a component",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]any{"component": args[0], "template": nil}
			switch {
			case clear && len(args) == 2:
				return withCode(ExitUsage, "give a TEMPLATE or --clear, not both")
			case len(args) == 2 && args[1] != "":
				vars["template"] = args[1]
			case !clear && len(args) == 1:
				return withCode(ExitUsage, "give a TEMPLATE, or --clear (or \"\") to run default-deploy")
			}
			q := `mutation($component: String!, $template: String) { setComponentDeploymentTemplate(component: $component, template: $template) { ` + componentFields + ` } }`
			return runAndPrint(cmd, g, q, vars, "setComponentDeploymentTemplate", componentCols)
		},
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "clear it, so the built-in default-deploy runs")
	return cmd
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
