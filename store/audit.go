package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release"
)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_entries"`

	TenantID     string    `bun:"tenant_id,pk"`
	ID           string    `bun:"id,pk"`
	Actor        string    `bun:"actor"`
	Action       string    `bun:"action"`
	EntityType   string    `bun:"entity_type"`
	EntityID     string    `bun:"entity_id"`
	BeforeDigest string    `bun:"before_digest"`
	AfterDigest  string    `bun:"after_digest"`
	At           time.Time `bun:"at"`
}

func (s *store) AppendAudit(ctx context.Context, e *release.AuditEntry) error {
	row := &auditRow{
		TenantID: e.TenantID, ID: e.ID, Actor: e.Actor, Action: e.Action,
		EntityType: e.EntityType, EntityID: e.EntityID,
		BeforeDigest: e.BeforeDigest, AfterDigest: e.AfterDigest, At: e.At.UTC(),
	}
	_, err := s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, ref{kind: "audit entry", key: e.ID})
}

func (s *store) ListAudit(ctx context.Context, tenant string, f release.AuditFilter, opts release.ListOptions) (*release.Page[release.AuditEntry], error) {
	var rows []auditRow
	q := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant)
	for _, c := range []struct{ col, value string }{
		{"actor", f.Actor}, {"action", f.Action}, {"entity_type", f.EntityType}, {"entity_id", f.EntityID},
	} {
		if c.value != "" {
			q = q.Where("? = ?", bun.Ident(c.col), c.value)
		}
	}
	q, err := keyset(q, cursorID, "id", opts)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return toPage(rows, opts, cursorID, func(r *auditRow) string { return r.ID },
		func(r *auditRow) (release.AuditEntry, error) {
			return release.AuditEntry{
				ID: r.ID, TenantID: r.TenantID, Actor: r.Actor, Action: r.Action,
				EntityType: r.EntityType, EntityID: r.EntityID,
				BeforeDigest: r.BeforeDigest, AfterDigest: r.AfterDigest, At: r.At.UTC(),
			}, nil
		})
}
