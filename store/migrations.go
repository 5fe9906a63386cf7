package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migration is one schema step: statements run in a single transaction, so a
// step is applied whole or not at all.
type migration struct {
	name, comment string
	stmts         func(dialect string) []string
}

// migrations lists every schema step in order. Append new steps; never edit
// one that has shipped.
func migrations() []migration {
	return []migration{
		{"0001", "release_catalog", schemaV1},
		{"0002", "append_only", appendOnlyTriggers},
		{"0003", "sboms", schemaSBOMs},
		{"0004", "release_name_search", schemaReleaseNameSearch},
		{"0005", "advisories", schemaAdvisories},
		{"0006", "advisory_feed_cursors", schemaFeedCursors},
		{"0007", "vex", schemaVEX},
		{"0008", "gate_decisions", schemaGate},
		{"0009", "gate_exceptions", schemaExceptions},
		{"0010", "promotions", schemaPromotions},
		{"0011", "evidence_packets", schemaEvidence},
		{"0012", "idempotency_keys", schemaIdempotency},
		{"0013", "current_deployments", schemaCurrentDeployments},
		{"0014", "promotion_not_before", schemaPromotionNotBefore},
		{"0015", "workflow_templates", schemaWorkflowTemplates},
		{"0016", "workflow_runs", schemaWorkflowRuns},
		{"0017", "component_deployment_template", schemaComponentDeploymentTemplate},
	}
}

// migrationsTable is where bun/migrate records the applied steps.
const migrationsTable = "stella_migrations"

// runMigrations applies the pending migrations, Stella's and then River's,
// and returns the names it applied.
func runMigrations(ctx context.Context, db *bun.DB, dialect string) (applied, river []string, err error) {
	ms := migrate.NewMigrations()
	for _, m := range migrations() {
		ms.Add(migrate.Migration{
			Name:    m.name,
			Comment: m.comment,
			Up: func(ctx context.Context, mg *migrate.Migrator, _ *migrate.Migration) error {
				return mg.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					for _, q := range m.stmts(dialect) {
						if _, err := tx.ExecContext(ctx, q); err != nil {
							return fmt.Errorf("%w\n%s", err, q)
						}
					}
					return nil
				})
			},
		})
	}
	migrator := migrate.NewMigrator(db, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationsTable+"_locks"),
		migrate.WithMarkAppliedOnSuccess(true))

	if dialect == DialectPostgres {
		// Replicas starting together must not migrate twice. An advisory lock
		// (unlike bun's lock table) is released if the process dies.
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('"+migrationsTable+"'))"); err != nil {
			return nil, nil, fmt.Errorf("lock migrations: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('"+migrationsTable+"'))")
		}()
	}
	if err := migrator.Init(ctx); err != nil {
		return nil, nil, err
	}
	group, err := migrator.Migrate(ctx)
	if err != nil {
		return nil, nil, err
	}
	applied = make([]string, 0, len(group.Migrations))
	for _, m := range group.Migrations {
		applied = append(applied, m.Name+"_"+m.Comment)
	}
	if river, err = migrateRiver(ctx, db.DB, dialect); err != nil {
		return nil, nil, fmt.Errorf("river job queue: %w", err)
	}
	return applied, river, nil
}

// migrateRiver applies the schema of River, the job queue under the workflow
// runner, with River's own migrator: its tables (river_job, river_leader, …)
// and its version table river_migration live beside Stella's and never
// collide with them. On PostgreSQL it runs under the same advisory lock as
// Stella's migrations, so replicas starting together migrate once.
func migrateRiver(ctx context.Context, db *sql.DB, dialect string) ([]string, error) {
	m, err := rivermigrate.New(RiverDriver(db, dialect), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res.Versions))
	for _, v := range res.Versions {
		out = append(out, fmt.Sprintf("river_%03d_%s", v.Version, v.Name))
	}
	return out, nil
}

// RiverDriver returns River's driver for a pool of this dialect: the SQLite
// driver for the embedded default, the database/sql one for PostgreSQL (its
// transactions are the *sql.Tx under a bun.Tx, so a job insert can join a
// store transaction).
func RiverDriver(db *sql.DB, dialect string) riverdriver.Driver[*sql.Tx] {
	if dialect == DialectPostgres {
		return riverdatabasesql.New(db)
	}
	return riversqlite.New(db)
}
