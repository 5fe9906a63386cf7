package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

func newServeCmd() *cobra.Command {
	var cfg server.Config
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the reference server (GraphQL at /graphql, GraphiQL at /graphiql/)",
		Long: `Run the reference server. With no flags it listens on 127.0.0.1:8080 and keeps
its data in the SQLite file stella.db and its secret-sealing key in stella.key,
both in the working folder. On first start it prints a bootstrap admin token.

--db takes a SQLite file path or a postgres://user:pass@host/db URL.
STELLA_SECRET_KEY (base64, 32 bytes) overrides the key file.

--gates FILE is the gate configuration (YAML or JSON: gates with id, type,
settings and per-environment overrides) that evaluateRelease and
decideRelease use. Without it every environment gets the default gates:
security-thresholds, kev, aggregate, vex-trust, freeze-window and approvals,
each with its default settings. --policy DIR (repeatable) loads a Rego
policy bundle; a bundle that no policy gate of --gates names by digest gets
a "policy" gate of its own, evaluated last.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg.Key = os.Getenv("STELLA_SECRET_KEY")
			cfg.Version = version
			cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
			srv, err := server.New(ctx, cfg)
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer srv.Close()
			secret, err := srv.Bootstrap(ctx)
			if err != nil {
				return withCode(ExitInternal, "bootstrap token: %v", err)
			}
			out := cmd.OutOrStdout()
			return srv.ListenAndServe(ctx, func(addr string) {
				fmt.Fprintf(out, "Stella is serving on http://%s\n  GraphQL:  http://%s/graphql\n  GraphiQL: http://%s/graphiql/\n", addr, addr, addr)
				if secret != "" {
					fmt.Fprintf(out, "\nBootstrap admin token (tenant %q). It is shown once; keep it:\n  export STELLA_TOKEN=%s\n\n", server.DefaultTenant, secret)
				}
			})
		},
	}
	cmd.Flags().StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	cmd.Flags().StringVar(&cfg.DB, "db", "stella.db", "database: a SQLite file path or a postgres:// URL")
	cmd.Flags().StringVar(&cfg.GatesFile, "gates", "", "gate configuration file (YAML or JSON); default: the built-in default gates")
	cmd.Flags().StringArrayVar(&cfg.PolicyDirs, "policy", nil, "Rego policy bundle directory (repeatable)")
	cmd.Flags().StringVar(&cfg.KeyFile, "key-file", "", "file holding the secret-sealing key (default stella.key beside a SQLite database)")
	cmd.Flags().StringArrayVar(&cfg.WebsocketOrigins, "ws-origin", nil, "another origin (host pattern) whose pages may open subscriptions (repeatable)")
	return cmd
}

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create and revoke API tokens"}
	var role string
	create := &cobra.Command{
		Use:   "create NAME --role ROLE",
		Short: "Create a token in the caller's tenant; the secret is printed once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				CreateAPIToken struct {
					Token  map[string]any `json:"token"`
					Secret string         `json:"secret"`
				} `json:"createApiToken"`
			}
			err := newClient(g.server, g.token).do(cmd.Context(), `mutation($in: ApiTokenInput!) { createApiToken(input: $in) { secret token { id name role tenant createdAt } } }`,
				map[string]any{"in": map[string]any{"name": args[0], "role": role}}, &out)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd, out.CreateAPIToken)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s (%s) created; it is shown once:\n%s\n", args[0], role, out.CreateAPIToken.Secret)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", string(auth.RoleViewer), "viewer, releaser, approver or admin")
	list := listCommand(g, "list", "List the tenant's tokens", `{ apiTokens { id name role tenant createdBy createdAt revokedAt } }`, "apiTokens",
		[]column{{"NAME", "name"}, {"ROLE", "role"}, {"REVOKED", "revokedAt"}, {"ID", "id"}}, nil)
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Revoke a token", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAndPrint(cmd, g, `mutation($id: ID!) { revokeApiToken(id: $id) { id name revokedAt } }`, map[string]any{"id": args[0]}, "revokeApiToken", nil)
		},
	}
	// Tokens for other tenants are an operator action on the database itself.
	var db, tenant string
	issue := &cobra.Command{
		Use:   "issue NAME --tenant T --role ROLE [--db DSN]",
		Short: "Create a token directly in the database (any tenant; for operators)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			srv, err := server.New(cmd.Context(), server.Config{DB: db, Key: os.Getenv("STELLA_SECRET_KEY")})
			if err != nil {
				return withCode(ExitInternal, "%v", err)
			}
			defer srv.Close()
			_, secret, err := srv.CreateToken(cmd.Context(), tenant, args[0], r, "cli:token-issue")
			if err != nil {
				return withCode(ExitUsage, "%v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	issue.Flags().StringVar(&db, "db", "stella.db", "database: a SQLite file path or a postgres:// URL")
	issue.Flags().StringVar(&tenant, "tenant", server.DefaultTenant, "tenant of the new token")
	issue.Flags().StringVar(&role, "role", string(auth.RoleViewer), "viewer, releaser, approver or admin")
	cmd.AddCommand(create, list, revoke, issue)
	return cmd
}
