package store

import "strings"

// The schema is written once in portable SQL; these placeholders take the
// per-dialect types. Keys use the C collation on PostgreSQL so that names and
// UUIDv7 ids sort bytewise there as they do in SQLite.
func ddl(dialect string, stmts ...string) []string {
	r := strings.NewReplacer(
		"{key}", map[string]string{DialectSQLite: "TEXT", DialectPostgres: `TEXT COLLATE "C"`}[dialect],
		"{ts}", map[string]string{DialectSQLite: "TIMESTAMP", DialectPostgres: "TIMESTAMPTZ"}[dialect],
		"{bytes}", map[string]string{DialectSQLite: "BLOB", DialectPostgres: "BYTEA"}[dialect],
		// SQLite stores such a table in primary-key order, so a newest-first
		// scan reads pages in sequence instead of a row lookup per key.
		"{clustered}", map[string]string{DialectSQLite: " WITHOUT ROWID", DialectPostgres: ""}[dialect],
	)
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = r.Replace(s)
	}
	return out
}

// schemaV1 creates the release catalog and API tokens.
func schemaV1(dialect string) []string {
	return ddl(dialect,
		`CREATE TABLE environments (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		name {key} NOT NULL,
		display_name TEXT NOT NULL,
		order_index INTEGER NOT NULL,
		tier TEXT NOT NULL,
		required_approvals INTEGER NOT NULL,
		approver_groups TEXT NOT NULL,
		require_separation_of_duties BOOLEAN NOT NULL,
		require_previous_environment BOOLEAN NOT NULL,
		auto_promote_from TEXT NOT NULL,
		freeze_windows TEXT NOT NULL,
		config TEXT NOT NULL,
		compliance TEXT NOT NULL,
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, name),
		UNIQUE (tenant_id, order_index)
	)`,
		`CREATE TABLE targets (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		name {key} NOT NULL,
		environment_id {key} NOT NULL,
		type TEXT NOT NULL,
		labels TEXT NOT NULL,
		connection TEXT NOT NULL,
		secret_keys TEXT NOT NULL,
		sealed {bytes},
		agent_id TEXT NOT NULL,
		health_status TEXT NOT NULL,
		last_health_check_at {ts},
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, name),
		FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id)
	)`,
		`CREATE INDEX targets_environment ON targets (tenant_id, environment_id)`,
		`CREATE TABLE integrations (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		name {key} NOT NULL,
		type TEXT NOT NULL,
		config TEXT NOT NULL,
		sealed {bytes},
		health_status TEXT NOT NULL,
		last_health_check_at {ts},
		last_health_message TEXT NOT NULL,
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, name)
	)`,
		`CREATE INDEX integrations_type ON integrations (tenant_id, type, id)`,
		`CREATE TABLE components (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		name {key} NOT NULL,
		display_name TEXT NOT NULL,
		image_repository TEXT NOT NULL,
		registry_integration_id {key} NOT NULL,
		versioning TEXT NOT NULL,
		default_channel TEXT NOT NULL,
		metadata TEXT NOT NULL,
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, name),
		FOREIGN KEY (tenant_id, registry_integration_id) REFERENCES integrations (tenant_id, id)
	)`,
		`CREATE INDEX components_integration ON components (tenant_id, registry_integration_id)`,
		// No foreign key to components: entries are history and outlive them.
		`CREATE TABLE version_entries (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		component_id {key} NOT NULL,
		tag TEXT NOT NULL,
		digest TEXT NOT NULL,
		semver TEXT NOT NULL,
		channel TEXT NOT NULL,
		prerelease TEXT NOT NULL,
		build_metadata TEXT NOT NULL,
		resolved_at {ts} NOT NULL,
		source TEXT NOT NULL,
		PRIMARY KEY (tenant_id, id)
	)`,
		`CREATE INDEX version_entries_tag ON version_entries (tenant_id, component_id, tag, id)`,
		`CREATE TABLE releases (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		application {key} NOT NULL,
		name {key} NOT NULL,
		display_name TEXT NOT NULL,
		status TEXT NOT NULL,
		source_ref TEXT,
		digest TEXT NOT NULL,
		created_by TEXT NOT NULL,
		finalized_by TEXT NOT NULL,
		finalized_at {ts},
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, name)
	)`,
		// Releases list newest first by (created_at, id): each index ends in that
		// order, so a filtered page is a range scan that stops after one page.
		`CREATE INDEX releases_created ON releases (tenant_id, created_at, id)`,
		`CREATE INDEX releases_status ON releases (tenant_id, status, created_at, id)`,
		`CREATE INDEX releases_application ON releases (tenant_id, application, created_at, id)`,
		`CREATE INDEX releases_digest ON releases (tenant_id, digest)`,
		// Components are rows of their own so that releases can be found by
		// component name or image digest through an index.
		`CREATE TABLE release_components (
		tenant_id {key} NOT NULL,
		release_id {key} NOT NULL,
		position INTEGER NOT NULL,
		component_id {key} NOT NULL,
		name {key} NOT NULL,
		repository TEXT NOT NULL,
		digest TEXT NOT NULL,
		tag TEXT NOT NULL,
		semver TEXT NOT NULL,
		role TEXT NOT NULL,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, release_id, name),
		FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id) ON DELETE CASCADE
	)`,
		`CREATE INDEX release_components_digest ON release_components (tenant_id, digest)`,
		`CREATE INDEX release_components_name ON release_components (tenant_id, name, created_at, release_id)`,
		`CREATE INDEX release_components_component ON release_components (tenant_id, component_id)`,
		`CREATE TABLE environment_current_releases (
		tenant_id {key} NOT NULL,
		environment_id {key} NOT NULL,
		application {key} NOT NULL,
		release_id {key} NOT NULL,
		PRIMARY KEY (tenant_id, environment_id, application),
		FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id),
		FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id)
	)`,
		`CREATE INDEX environment_current_releases_release ON environment_current_releases (tenant_id, release_id)`,
		`CREATE TABLE audit_entries (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		entity_type TEXT NOT NULL,
		entity_id TEXT NOT NULL,
		before_digest TEXT NOT NULL,
		after_digest TEXT NOT NULL,
		at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, id)
	)`,
		`CREATE INDEX audit_entries_entity ON audit_entries (tenant_id, entity_type, entity_id, id)`,
		`CREATE INDEX audit_entries_actor ON audit_entries (tenant_id, actor, id)`,
		// Token lookups by hash are global: the tenant comes from the token.
		`CREATE TABLE api_tokens (
		id {key} NOT NULL PRIMARY KEY,
		tenant_id {key} NOT NULL,
		name TEXT NOT NULL,
		role TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE,
		created_by TEXT NOT NULL,
		created_at {ts} NOT NULL,
		revoked_at {ts},
		last_used_at {ts}
	)`,
		`CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, created_at, id)`,
	)
}

// appendOnlyTriggers make the audit log and the version map refuse UPDATE and
// DELETE, so that history cannot be rewritten even by code that bypasses the store.
func appendOnlyTriggers(dialect string) []string {
	var out []string
	if dialect == DialectPostgres {
		out = append(out, `CREATE FUNCTION stella_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$`)
	}
	return append(out, refuseChanges(dialect, "audit_entries", "version_entries")...)
}

// refuseChanges makes tables append-only: UPDATE and DELETE (and TRUNCATE on
// PostgreSQL, through the function of migration 0002) are refused.
func refuseChanges(dialect string, tables ...string) []string {
	var out []string
	for _, t := range tables {
		if dialect == DialectPostgres {
			out = append(out,
				`CREATE TRIGGER `+t+`_append_only BEFORE UPDATE OR DELETE ON `+t+` FOR EACH ROW EXECUTE FUNCTION stella_refuse_change()`,
				`CREATE TRIGGER `+t+`_no_truncate BEFORE TRUNCATE ON `+t+` FOR EACH STATEMENT EXECUTE FUNCTION stella_refuse_change()`)
			continue
		}
		for _, op := range []string{"UPDATE", "DELETE"} {
			out = append(out, `CREATE TRIGGER `+t+`_no_`+strings.ToLower(op)+` BEFORE `+op+` ON `+t+
				` BEGIN SELECT RAISE(ABORT, '`+t+` is append-only: `+op+` refused'); END`)
		}
	}
	return out
}

// schemaSBOMs stores SBOMs content-addressed, one per image digest and format,
// with their packages as rows so that a package search is an index lookup.
// SBOMs are evidence: both tables are append-only.
func schemaSBOMs(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE sboms (
		tenant_id {key} NOT NULL,
		content_digest {key} NOT NULL,
		image_digest {key} NOT NULL,
		image_name TEXT NOT NULL,
		format {key} NOT NULL,
		document {bytes} NOT NULL,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, content_digest),
		UNIQUE (tenant_id, image_digest, format)
	)`,
		`CREATE TABLE sbom_packages (
		tenant_id {key} NOT NULL,
		content_digest {key} NOT NULL,
		identity {key} NOT NULL,
		type {key} NOT NULL,
		namespace {key} NOT NULL,
		name {key} NOT NULL,
		version TEXT NOT NULL,
		PRIMARY KEY (tenant_id, content_digest, identity),
		FOREIGN KEY (tenant_id, content_digest) REFERENCES sboms (tenant_id, content_digest)
	)`,
		`CREATE INDEX sbom_packages_name ON sbom_packages (tenant_id, type, name, namespace)`,
	), refuseChanges(dialect, "sboms", "sbom_packages")...)
}

// schemaReleaseNameSearch indexes release names by trigrams, so that a
// name-contains filter is an index lookup instead of a scan of every release:
// an FTS5 trigram table kept by triggers on SQLite, pg_trgm on PostgreSQL.
func schemaReleaseNameSearch(dialect string) []string {
	if dialect == DialectPostgres {
		return []string{
			`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
			`CREATE INDEX releases_name_trgm ON releases USING gin (name gin_trgm_ops)`,
		}
	}
	return []string{
		`CREATE VIRTUAL TABLE release_names USING fts5(name, tenant_id UNINDEXED, release_id UNINDEXED, tokenize = 'trigram')`,
		`INSERT INTO release_names (name, tenant_id, release_id) SELECT name, tenant_id, id FROM releases`,
		`CREATE TRIGGER releases_name_insert AFTER INSERT ON releases BEGIN
			INSERT INTO release_names (name, tenant_id, release_id) VALUES (new.name, new.tenant_id, new.id);
		END`,
		`CREATE TRIGGER releases_name_delete AFTER DELETE ON releases BEGIN
			DELETE FROM release_names WHERE release_id = old.id AND tenant_id = old.tenant_id;
		END`,
	}
}
