package store

// schemaExceptions stores the gate exception log (gate.md §5): one row per
// exception, and revocations as rows of their own, at most one per
// exception, so that revoking edits nothing. Both tables are evidence a
// decision is replayed from: UPDATE and DELETE are refused.
func schemaExceptions(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE gate_exceptions (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		vulnerability TEXT NOT NULL,
		package_key TEXT NOT NULL,
		component TEXT NOT NULL,
		release_name TEXT NOT NULL,
		environments TEXT NOT NULL,
		effect TEXT NOT NULL,
		downgrade_to TEXT NOT NULL,
		justification TEXT NOT NULL,
		owner TEXT NOT NULL,
		approved_by TEXT NOT NULL,
		created_at {ts} NOT NULL,
		expires_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, id)
	)`,
		`CREATE INDEX gate_exceptions_created ON gate_exceptions (tenant_id, created_at, id)`,
		`CREATE TABLE gate_exception_revocations (
		tenant_id {key} NOT NULL,
		exception_id {key} NOT NULL,
		revoked_by TEXT NOT NULL,
		at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, exception_id),
		FOREIGN KEY (tenant_id, exception_id) REFERENCES gate_exceptions (tenant_id, id)
	)`,
	), refuseChanges(dialect, "gate_exceptions", "gate_exception_revocations")...)
}
