package main

import (
	"github.com/spf13/cobra"
)

const releaseFields = `id name application displayName status digest components { name repository digest ref tag semver role }
	sourceRef { scm repository commit branch } createdBy finalizedBy finalizedAt createdAt version`

var releaseCols = []column{{"NAME", "name"}, {"APPLICATION", "application"}, {"STATUS", "status"}, {"DIGEST", "digest"}, {"COMPONENTS", "components"}, {"CREATED", "createdAt"}}

// releaseShowCols shows a release with every component's pinned reference.
var releaseShowCols = []column{{"Name", "name"}, {"Application", "application"}, {"Status", "status"}, {"Digest", "digest"}, {"Created", "createdAt"}, {"Finalized", "finalizedAt"}, {"Images", "components"}}

func newReleaseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "release", Short: "Cut digest-pinned releases"}
	var app, display string
	create := &cobra.Command{
		Use: "create NAME [--app APPLICATION]", Short: "Start a draft release", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := map[string]any{"name": args[0]}
			if app != "" {
				in["application"] = app
			}
			if display != "" {
				in["displayName"] = display
			}
			return inputMutation(cmd, g, "createRelease", "ReleaseInput", in, releaseFields, releaseShowCols)
		},
	}
	create.Flags().StringVar(&app, "app", "", "application (default: the name up to its version)")
	create.Flags().StringVar(&display, "display-name", "", "display name")

	var tag, digest, role string
	add := &cobra.Command{
		Use: "add RELEASE COMPONENT (--tag TAG | --digest sha256:…)", Short: "Pin a component into a draft; a tag is resolved to its digest now", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := map[string]any{"component": args[1]}
			if tag != "" {
				in["tag"] = tag
			}
			if digest != "" {
				in["digest"] = digest
			}
			if role != "" {
				in["role"] = role
			}
			return runAndPrint(cmd, g, `mutation($r: String!, $in: ReleaseComponentInput!) { addReleaseComponent(release: $r, input: $in) { `+releaseFields+` } }`,
				map[string]any{"r": args[0], "in": in}, "addReleaseComponent", releaseShowCols)
		},
	}
	add.Flags().StringVar(&tag, "tag", "", "tag to resolve")
	add.Flags().StringVar(&digest, "digest", "", "digest to pin")
	add.Flags().StringVar(&role, "role", "", "primary, sidecar, init or migration")
	add.MarkFlagsMutuallyExclusive("tag", "digest")
	add.MarkFlagsOneRequired("tag", "digest")

	remove := &cobra.Command{
		Use: "remove RELEASE COMPONENT", Short: "Take a component out of a draft", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, `mutation($r: String!, $c: String!) { removeReleaseComponent(release: $r, component: $c) { `+releaseFields+` } }`,
				map[string]any{"r": args[0], "c": args[1]}, "removeReleaseComponent", releaseShowCols)
		},
	}

	var f struct{ name, app, component, digest, status, after, before string }
	var first int
	list := listCommand(g, "list", "List releases, newest first",
		`query($f: ReleaseFilter, $first: Int) { releases(filter: $f, first: $first) { nodes { `+releaseFields+` } pageInfo { hasNextPage endCursor } } }`,
		"releases", releaseCols, func() (map[string]any, error) {
			filter := map[string]any{}
			for k, v := range map[string]string{"nameContains": f.name, "application": f.app, "component": f.component, "digest": f.digest,
				"status": f.status, "createdAfter": f.after, "createdBefore": f.before} {
				if v != "" {
					filter[k] = v
				}
			}
			return map[string]any{"f": filter, "first": first}, nil
		})
	lf := list.Flags()
	lf.StringVar(&f.name, "name", "", "name contains")
	lf.StringVar(&f.app, "app", "", "application")
	lf.StringVar(&f.component, "component", "", "contains this component")
	lf.StringVar(&f.digest, "digest", "", "release digest or a component image digest")
	lf.StringVar(&f.status, "status", "", "draft, finalized or deprecated")
	lf.StringVar(&f.after, "created-after", "", "RFC 3339 time (inclusive)")
	lf.StringVar(&f.before, "created-before", "", "RFC 3339 time (exclusive)")
	lf.IntVar(&first, "first", 50, "page size (max 500)")

	cmd.AddCommand(create, add, remove, list,
		getCommand(g, "release", releaseFields, releaseShowCols),
		keyMutation(g, "finalize", "Freeze a draft and compute its digest", "finalizeRelease", releaseFields, releaseShowCols),
		keyMutation(g, "delete", "Delete a draft release", "deleteRelease", "id", nil),
		manifestCmd(g))
	return cmd
}

// manifestCmd prints the canonical manifest bytes, whose sha256 is the release digest.
func manifestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "manifest KEY", Short: "Print the canonical (RFC 8785) manifest whose sha256 is the release digest", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data struct {
				Release struct {
					Manifest string `json:"manifest"`
				} `json:"release"`
			}
			if err := newClient(g.server, g.token).do(cmd.Context(), `query($key: String!) { release(key: $key) { manifest } }`, map[string]any{"key": args[0]}, &data); err != nil {
				return err
			}
			_, err := cmd.OutOrStdout().Write([]byte(data.Release.Manifest))
			return err
		},
	}
}

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the append-only audit log"}
	var actor, action, entity string
	var first int
	list := listCommand(g, "list", "List audit entries, newest first",
		`query($f: AuditFilter, $first: Int) { auditLog(filter: $f, first: $first) { nodes { id at actor action entityType entityId beforeDigest afterDigest } } }`,
		"auditLog", []column{{"AT", "at"}, {"ACTOR", "actor"}, {"ACTION", "action"}, {"ENTITY", "entityType"}, {"ID", "entityId"}, {"AFTER", "afterDigest"}},
		func() (map[string]any, error) {
			filter := map[string]any{}
			for k, v := range map[string]string{"actor": actor, "action": action, "entityId": entity} {
				if v != "" {
					filter[k] = v
				}
			}
			return map[string]any{"f": filter, "first": first}, nil
		})
	list.Flags().StringVar(&actor, "actor", "", "only this actor")
	list.Flags().StringVar(&action, "action", "", "only this action, e.g. release.finalize")
	list.Flags().StringVar(&entity, "entity", "", "only this entity id")
	list.Flags().IntVar(&first, "first", 50, "page size (max 500)")
	cmd.AddCommand(list)
	return cmd
}
