package store

// schemaGate stores gate decision records append-only (gate.md §7), one row
// per record digest and tenant with the columns the lists filter and sort
// by, and the content-addressed inputs a record names by digest, so that a
// record decided by the server replays from the store (gate.md §8). Both
// are evidence: UPDATE and DELETE are refused.
func schemaGate(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE gate_decisions (
		tenant_id {key} NOT NULL,
		record_digest {key} NOT NULL,
		release_id {key} NOT NULL,
		release_name {key} NOT NULL,
		release_digest {key} NOT NULL,
		environment_id {key} NOT NULL,
		environment_name {key} NOT NULL,
		decision TEXT NOT NULL,
		mode TEXT NOT NULL,
		phase TEXT NOT NULL,
		clock_cutoff {ts} NOT NULL,
		created_at {ts} NOT NULL,
		record TEXT NOT NULL,
		PRIMARY KEY (tenant_id, record_digest)
	)`,
		`CREATE INDEX gate_decisions_newest ON gate_decisions (tenant_id, clock_cutoff, created_at, record_digest)`,
		`CREATE INDEX gate_decisions_release ON gate_decisions (tenant_id, release_id, clock_cutoff)`,
		`CREATE INDEX gate_decisions_environment ON gate_decisions (tenant_id, environment_id, clock_cutoff)`,
		`CREATE TABLE gate_inputs (
		tenant_id {key} NOT NULL,
		digest {key} NOT NULL,
		content {bytes} NOT NULL,
		PRIMARY KEY (tenant_id, digest)
	)`,
	), refuseChanges(dialect, "gate_decisions", "gate_inputs")...)
}
