package store

// schemaVEX stores raw VEX documents append-only (vex.md §1, stored like
// advisory observations: idempotent by content hash, revisions of one
// upstream document linked by supersedes), the statements each document
// yields with index rows by vulnerability id (and alias) and by product key,
// and the versioned issuer registry: one row per registry version and the
// full issuer set of each version. Everything here is evidence a verdict
// can be replayed from, so every table refuses UPDATE and DELETE.
func schemaVEX(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE vex_documents (
		tenant_id {key} NOT NULL,
		content_hash {key} NOT NULL,
		format TEXT NOT NULL,
		author TEXT NOT NULL,
		upstream_id {key} NOT NULL,
		revision INTEGER NOT NULL,
		supersedes TEXT NOT NULL,
		raw {bytes} NOT NULL,
		warnings TEXT NOT NULL,
		statement_count INTEGER NOT NULL,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, content_hash)
	)`,
		// Only documents with an upstream id have revisions; the partial
		// index keeps anonymous documents (upstream_id '') out of it.
		`CREATE UNIQUE INDEX vex_documents_revision ON vex_documents (tenant_id, upstream_id, revision) WHERE upstream_id <> ''`,
		`CREATE INDEX vex_documents_created ON vex_documents (tenant_id, created_at, content_hash)`,
		`CREATE TABLE vex_statements (
		tenant_id {key} NOT NULL,
		digest {key} NOT NULL,
		document_digest {key} NOT NULL,
		issuer TEXT NOT NULL,
		vulnerability TEXT NOT NULL,
		product TEXT NOT NULL,
		status TEXT NOT NULL,
		statement TEXT NOT NULL,
		PRIMARY KEY (tenant_id, digest),
		FOREIGN KEY (tenant_id, document_digest) REFERENCES vex_documents (tenant_id, content_hash)
	)`,
		`CREATE INDEX vex_statements_document ON vex_statements (tenant_id, document_digest)`,
		`CREATE TABLE vex_statement_vulnerabilities (
		tenant_id {key} NOT NULL,
		vulnerability {key} NOT NULL,
		statement_digest {key} NOT NULL,
		PRIMARY KEY (tenant_id, vulnerability, statement_digest),
		FOREIGN KEY (tenant_id, statement_digest) REFERENCES vex_statements (tenant_id, digest)
	)`,
		`CREATE TABLE vex_statement_products (
		tenant_id {key} NOT NULL,
		product_key {key} NOT NULL,
		statement_digest {key} NOT NULL,
		PRIMARY KEY (tenant_id, product_key, statement_digest),
		FOREIGN KEY (tenant_id, statement_digest) REFERENCES vex_statements (tenant_id, digest)
	)`,
		`CREATE INDEX vex_statement_products_statement ON vex_statement_products (tenant_id, statement_digest)`,
		`CREATE TABLE vex_registry_versions (
		tenant_id {key} NOT NULL,
		version INTEGER NOT NULL,
		digest TEXT NOT NULL,
		issuer_id TEXT NOT NULL,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, version)
	)`,
		`CREATE TABLE vex_issuers (
		tenant_id {key} NOT NULL,
		registry_version INTEGER NOT NULL,
		issuer_id {key} NOT NULL,
		issuer TEXT NOT NULL,
		PRIMARY KEY (tenant_id, registry_version, issuer_id),
		FOREIGN KEY (tenant_id, registry_version) REFERENCES vex_registry_versions (tenant_id, version)
	)`,
	), refuseChanges(dialect, "vex_documents", "vex_statements", "vex_statement_vulnerabilities",
		"vex_statement_products", "vex_registry_versions", "vex_issuers")...)
}
