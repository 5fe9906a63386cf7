package store

// schemaCurrentDeployments adds to each current release the promotion that
// deployed it and when, filled for the rows already there from their
// deployed promotion (the latest one, should there be several).
func schemaCurrentDeployments(dialect string) []string {
	latest := `FROM promotions p WHERE p.tenant_id = c.tenant_id AND p.target_environment_id = c.environment_id
		AND p.release_id = c.release_id AND p.status = 'deployed' ORDER BY p.completed_at DESC, p.id DESC LIMIT 1`
	return ddl(dialect,
		`ALTER TABLE environment_current_releases ADD COLUMN promotion_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE environment_current_releases ADD COLUMN deployed_at {ts}`,
		`UPDATE environment_current_releases AS c SET
		promotion_id = COALESCE((SELECT p.id `+latest+`), ''),
		deployed_at = (SELECT p.completed_at `+latest+`)`,
	)
}
