package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release"
)

var (
	_ release.WorkflowTemplateStore = (*DB)(nil)
	_ release.WorkflowTemplateStore = (*Tx)(nil)
)

// cursorTemplateVersion orders all versions by name ascending, then version
// descending: its value is "<version>|<name>".
const cursorTemplateVersion = "v"

type workflowTemplateRow struct {
	bun.BaseModel `bun:"table:workflow_templates,alias:wt"`

	TenantID  string    `bun:"tenant_id,pk"`
	Name      string    `bun:"name,pk"`
	Version   int       `bun:"version,pk"`
	Digest    string    `bun:"digest"`
	Body      string    `bun:"body"` // canonical JSON
	CreatedAt time.Time `bun:"created_at"`
	CreatedBy string    `bun:"created_by"`
}

func (r *workflowTemplateRow) toTemplate() (release.WorkflowTemplate, error) {
	t := release.WorkflowTemplate{TenantID: r.TenantID, Digest: r.Digest, Source: []byte(r.Body),
		CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy}
	t.Name, t.Version = r.Name, r.Version
	return t, nil
}

// AppendWorkflowTemplate stores one version; the table refuses updates and
// deletes, so a saved version stays as it was.
func (s *store) AppendWorkflowTemplate(ctx context.Context, t *release.WorkflowTemplate) error {
	switch {
	case t == nil || t.Name == "":
		return invalidField("name", "is required")
	case t.Version < 1:
		return invalidField("version", "must be 1 or more")
	case len(t.Source) == 0 || t.Digest == "":
		return invalidField("source", "the canonical body and its digest are required")
	}
	row := &workflowTemplateRow{TenantID: t.TenantID, Name: t.Name, Version: t.Version, Digest: t.Digest,
		Body: string(t.Source), CreatedAt: t.CreatedAt.UTC(), CreatedBy: t.CreatedBy}
	_, err := s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, ref{kind: "workflow template", key: t.Name,
		clash: map[string]string{"version": "version " + strconv.Itoa(t.Version) + " already exists"}})
}

func (s *store) GetWorkflowTemplate(ctx context.Context, tenant, name string, version int) (*release.WorkflowTemplate, error) {
	var row workflowTemplateRow
	q := s.db.NewSelect().Model(&row).Where("tenant_id = ? AND name = ?", tenant, name)
	key := name
	if version > 0 {
		q, key = q.Where("version = ?", version), name+"@"+strconv.Itoa(version)
	} else {
		q = q.OrderExpr("version DESC").Limit(1)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "workflow template", key: key})
	}
	t, err := row.toTemplate()
	return &t, err
}

func (s *store) ListWorkflowTemplates(ctx context.Context, tenant string, f release.WorkflowTemplateFilter, opts release.ListOptions) (*release.Page[release.WorkflowTemplate], error) {
	var rows []workflowTemplateRow
	q := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant)
	if f.Name != "" {
		q = q.Where("name = ?", f.Name)
	}
	conv := func(r *workflowTemplateRow) (release.WorkflowTemplate, error) { return r.toTemplate() }
	if !f.AllVersions {
		q = q.Where(`version = (SELECT max(w.version) FROM workflow_templates w
			WHERE w.tenant_id = wt.tenant_id AND w.name = wt.name)`)
		return pageByName(ctx, q, &rows, opts, func(r *workflowTemplateRow) string { return r.Name }, conv)
	}
	if opts.After != "" {
		v, err := decodeCursor(cursorTemplateVersion, opts.After)
		if err != nil {
			return nil, err
		}
		vs, name, ok := strings.Cut(v, "|")
		version, perr := strconv.Atoi(vs)
		if !ok || perr != nil {
			return nil, errBadCursor()
		}
		q = q.Where("(name > ? OR (name = ? AND version < ?))", name, name, version)
	}
	q = q.OrderExpr("name ASC, version DESC").Limit(int64(opts.Limit()) + 1)
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return toPage(rows, opts, cursorTemplateVersion,
		func(r *workflowTemplateRow) string { return strconv.Itoa(r.Version) + "|" + r.Name }, conv)
}
