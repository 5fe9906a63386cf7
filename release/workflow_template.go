package release

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stella-ops/stella/release/workflow"
)

// WorkflowTemplate is one saved version of a workflow template
// (release.md §3). A saved version never changes: saving different content
// under the same name makes the next version.
type WorkflowTemplate struct {
	workflow.Template
	TenantID  string
	Digest    string          // "sha256:<hex>" of Source
	Source    json.RawMessage // the template's canonical JSON (workflow.Canonical), version excluded
	CreatedAt time.Time       // zero for the built-in
	CreatedBy string          // "" for the built-in
	BuiltIn   bool            // default-deploy, which no store holds
}

// DefaultDeployName is the built-in template a component without its own
// runs. It is never saved: it reads as version 1, and a save under its
// name is refused.
const DefaultDeployName = "default-deploy"

// WorkflowTemplateStore keeps saved workflow templates. Rows are
// append-only: a version, once stored, is never updated or deleted. The
// store in package store implements it on SQLite and PostgreSQL, both on
// the pool and inside a transaction; release/storetest checks any
// implementation (RunWorkflowTemplates). Only Source, not Template, goes
// in and comes out: the Service decodes it.
type WorkflowTemplateStore interface {
	// AppendWorkflowTemplate stores a version; a taken (tenant, name,
	// version) is a *fault.ConflictError.
	AppendWorkflowTemplate(ctx context.Context, t *WorkflowTemplate) error
	// GetWorkflowTemplate returns one version of a template, the latest
	// when version is 0; absent is a *fault.NotFoundError.
	GetWorkflowTemplate(ctx context.Context, tenant, name string, version int) (*WorkflowTemplate, error)
	// ListWorkflowTemplates pages the latest version of every template by
	// name, or with f.AllVersions every version by (name, version newest
	// first).
	ListWorkflowTemplates(ctx context.Context, tenant string, f WorkflowTemplateFilter, opts ListOptions) (*Page[WorkflowTemplate], error)
}

// WorkflowTemplateFilter narrows a template list.
type WorkflowTemplateFilter struct {
	Name        string // only this template
	AllVersions bool   // every version, not only the latest
}
