package store

// schemaAdvisories stores raw advisory observations append-only, one row per
// revision of an upstream document, and the derived effective view: one row
// per alias group with its document, an alias table for id-or-alias lookup
// and a package table for lookup by package key. The effective tables are
// replaced whole by each merge, so they are not append-only.
func schemaAdvisories(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE advisory_observations (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		source {key} NOT NULL,
		upstream_id {key} NOT NULL,
		revision INTEGER NOT NULL,
		reader_version TEXT NOT NULL,
		document_version TEXT NOT NULL,
		upstream_modified {ts} NOT NULL,
		fetched_at {ts},
		signature TEXT NOT NULL,
		content_hash TEXT NOT NULL,
		content_format TEXT NOT NULL,
		spec_version TEXT NOT NULL,
		raw {bytes} NOT NULL,
		identifiers TEXT NOT NULL,
		hints TEXT NOT NULL,
		parsed TEXT NOT NULL,
		supersedes TEXT NOT NULL,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, source, upstream_id, revision)
	)`,
		`CREATE TABLE advisory_effective (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		digest TEXT NOT NULL,
		withdrawn BOOLEAN NOT NULL,
		document TEXT NOT NULL,
		PRIMARY KEY (tenant_id, id)
	)`,
		`CREATE TABLE advisory_effective_aliases (
		tenant_id {key} NOT NULL,
		alias {key} NOT NULL,
		advisory_id {key} NOT NULL,
		PRIMARY KEY (tenant_id, alias)
	)`,
		`CREATE TABLE advisory_effective_packages (
		tenant_id {key} NOT NULL,
		ecosystem {key} NOT NULL,
		name {key} NOT NULL,
		advisory_id {key} NOT NULL,
		PRIMARY KEY (tenant_id, ecosystem, name, advisory_id)
	)`,
		`CREATE TABLE advisory_effective_snapshots (
		tenant_id {key} NOT NULL PRIMARY KEY,
		snapshot_id TEXT NOT NULL,
		observations INTEGER NOT NULL,
		created_at {ts} NOT NULL
	)`,
	), refuseChanges(dialect, "advisory_observations")...)
}
