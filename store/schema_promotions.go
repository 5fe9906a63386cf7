package store

// schemaPromotions stores promotions (release.md §1, §2) and their
// approvals.
//
// A promotion is a versioned row like a release: its state machine moves
// it, and UpdatePromotion writes where the version is still the one read.
// Its indexes end in (requested_at, id), the list order, so that a filtered
// page is a range scan; the lane index (target environment, application,
// status) also finds the next approved promotion to deploy in FIFO order.
//
// promotions_deploy_lock is the deploy lock in the database itself: at most
// one promotion per (tenant, environment, application) is deploying, so two
// server processes cannot both start one, whatever path their write takes.
//
// There is no foreign key to environments, as for version entries:
// promotions are history and do not keep an environment from being
// deleted. Promotions refer to finalized releases, which cannot be deleted.
//
// Approvals are evidence a decision is made from: append-only, UPDATE and
// DELETE are refused.
func schemaPromotions(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE promotions (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		release_id {key} NOT NULL,
		release_digest TEXT NOT NULL,
		application {key} NOT NULL,
		source_environment_id {key} NOT NULL,
		target_environment_id {key} NOT NULL,
		status TEXT NOT NULL,
		requested_by TEXT NOT NULL,
		requested_at {ts} NOT NULL,
		reason TEXT NOT NULL,
		decision_ids TEXT NOT NULL,
		final_decision_id TEXT NOT NULL,
		workflow_run_id TEXT NOT NULL,
		deployment_job_id TEXT NOT NULL,
		evidence_packet_ids TEXT NOT NULL,
		decided_at {ts},
		started_at {ts},
		completed_at {ts},
		failure TEXT,
		created_at {ts} NOT NULL,
		updated_at {ts} NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, id),
		FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id)
	)`,
		`CREATE INDEX promotions_requested ON promotions (tenant_id, requested_at, id)`,
		`CREATE INDEX promotions_release_target ON promotions (tenant_id, release_id, target_environment_id, requested_at, id)`,
		`CREATE INDEX promotions_lane ON promotions (tenant_id, target_environment_id, application, status, requested_at, id)`,
		// Rule 1 of release.md §2 held by the database: one promotion of a
		// release into an environment is under way (or deployed) at a time,
		// even when two requests pass their checks at once.
		`CREATE UNIQUE INDEX promotions_open ON promotions (tenant_id, release_id, target_environment_id)
		WHERE status NOT IN ('rejected', 'cancelled', 'rolled_back')`,
		`CREATE UNIQUE INDEX promotions_deploy_lock ON promotions (tenant_id, target_environment_id, application) WHERE status = 'deploying'`,
		`CREATE TABLE approvals (
		tenant_id {key} NOT NULL,
		id {key} NOT NULL,
		promotion_id {key} NOT NULL,
		release_digest TEXT NOT NULL,
		approver_id TEXT NOT NULL,
		approver_name TEXT NOT NULL,
		approver_groups TEXT NOT NULL,
		action TEXT NOT NULL,
		comment TEXT NOT NULL,
		at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, id),
		FOREIGN KEY (tenant_id, promotion_id) REFERENCES promotions (tenant_id, id)
	)`,
		`CREATE INDEX approvals_promotion ON approvals (tenant_id, promotion_id, at, id)`,
	), refuseChanges(dialect, "approvals")...)
}
