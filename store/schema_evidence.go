package store

// schemaEvidence stores sealed evidence packets (release.md §6 rule 4):
// the packet row with its DSSE envelope, append-only (UPDATE and DELETE
// are refused). There is no foreign key to promotions: a packet outside a
// promotion (a re-evaluation) has none.
func schemaEvidence(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE evidence_packets (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		promotion_id {key} NOT NULL,
		type TEXT NOT NULL,
		content_hash TEXT NOT NULL,
		envelope TEXT NOT NULL,
		key_id TEXT NOT NULL,
		algorithm TEXT NOT NULL,
		generator_version TEXT NOT NULL,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, id)
	)`,
		`CREATE INDEX evidence_packets_promotion ON evidence_packets (tenant_id, promotion_id, created_at, id)`,
	), refuseChanges(dialect, "evidence_packets")...)
}
