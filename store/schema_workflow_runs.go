package store

// schemaWorkflowRuns keeps the durable state of workflow runs (package
// release/workflow/runner). A run is one row holding the workflow.Run as
// JSON, changed under optimistic concurrency (version). A running node holds
// a lease: the token its job carries and the replica executing it, renewed
// while the step runs, so that a rescued job of a live owner waits instead of
// running the node twice. Node logs keep the tail of each attempt; events are
// append-only and numbered per run (event_seq on the run row hands out seq).
func schemaWorkflowRuns(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE workflow_runs (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		promotion_id {key},
		template_name TEXT NOT NULL,
		template_version INTEGER NOT NULL,
		template_digest TEXT NOT NULL,
		state TEXT NOT NULL,
		run TEXT NOT NULL,
		version INTEGER NOT NULL,
		event_seq INTEGER NOT NULL,
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, id)
	)`,
		`CREATE INDEX workflow_runs_promotion ON workflow_runs (tenant_id, promotion_id)`,
		`CREATE TABLE workflow_node_leases (
		tenant_id {key} NOT NULL,
		run_id {key} NOT NULL,
		node_id {key} NOT NULL,
		token TEXT NOT NULL,
		owner TEXT NOT NULL,
		expires_at {ts},
		cancelled BOOLEAN NOT NULL,
		PRIMARY KEY (tenant_id, run_id, node_id),
		FOREIGN KEY (tenant_id, run_id) REFERENCES workflow_runs (tenant_id, id)
	)`,
		`CREATE TABLE workflow_node_logs (
		tenant_id {key} NOT NULL,
		run_id {key} NOT NULL,
		node_id {key} NOT NULL,
		attempt INTEGER NOT NULL,
		log {bytes} NOT NULL,
		truncated BOOLEAN NOT NULL,
		updated_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, run_id, node_id, attempt),
		FOREIGN KEY (tenant_id, run_id) REFERENCES workflow_runs (tenant_id, id)
	)`,
		`CREATE TABLE workflow_events (
		tenant_id {key} NOT NULL,
		run_id {key} NOT NULL,
		seq INTEGER NOT NULL,
		type TEXT NOT NULL,
		node_id TEXT NOT NULL,
		at {ts} NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (tenant_id, run_id, seq),
		FOREIGN KEY (tenant_id, run_id) REFERENCES workflow_runs (tenant_id, id)
	)`,
	), refuseChanges(dialect, "workflow_events")...)
}
