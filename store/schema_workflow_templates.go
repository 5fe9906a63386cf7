package store

// schemaWorkflowTemplates stores workflow templates (release.md §3): one row
// per saved version, holding the template's canonical JSON and its digest.
// A saved version is immutable, so the table is append-only.
func schemaWorkflowTemplates(dialect string) []string {
	return append(ddl(dialect,
		`CREATE TABLE workflow_templates (
		tenant_id {key} NOT NULL,
		name {key} NOT NULL,
		version INTEGER NOT NULL,
		digest TEXT NOT NULL,
		body TEXT NOT NULL,
		created_at {ts} NOT NULL,
		created_by TEXT NOT NULL,
		PRIMARY KEY (tenant_id, name, version)
	){clustered}`,
	), refuseChanges(dialect, "workflow_templates")...)
}

// schemaComponentDeploymentTemplate names, on a component, the workflow
// template that deploys it; an empty name is the built-in default-deploy.
func schemaComponentDeploymentTemplate(dialect string) []string {
	return ddl(dialect, `ALTER TABLE components ADD COLUMN deployment_template TEXT NOT NULL DEFAULT ''`)
}
