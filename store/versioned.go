package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// updateVersioned writes model (a row with tenant_id and id as primary key)
// only where the stored version is version-1, the version the caller read
// before incrementing. When nothing matched it tells a missing row
// (*fault.NotFoundError) from a concurrent change (*fault.ConflictError).
func (s *store) updateVersioned(ctx context.Context, model any, table, tenant, id string, version int, r ref) error {
	res, err := s.db.NewUpdate().Model(model).WherePK().
		Where("version = ?", version-1).
		ExcludeColumn("created_at").
		Exec(ctx)
	if err != nil {
		return mapErr(err, r)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	var stored int
	err = s.db.NewSelect().Table(table).Column("version").
		Where("tenant_id = ? AND id = ?", tenant, id).
		Scan(ctx, &stored)
	if err != nil {
		return mapErr(err, ref{kind: r.kind, key: id})
	}
	return r.conflict(fmt.Sprintf("was changed concurrently (version %d is stored, this change was made to version %d)", stored, version-1))
}

// deleteRow deletes one row of a table by tenant and id.
func (s *store) deleteRow(ctx context.Context, table, tenant, id string, r ref) error {
	res, err := s.db.NewDelete().TableExpr("?", bun.Ident(table)).
		Where("tenant_id = ? AND id = ?", tenant, id).
		Exec(ctx)
	if err != nil {
		return mapErr(err, r)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return r.notFound()
	}
	return nil
}

// whereKey selects the row whose id or, failing that, name is key.
func whereKey(q *bun.SelectQuery, tenant, key string) *bun.SelectQuery {
	return q.Where("tenant_id = ?", tenant).
		Where("(id = ? OR name = ?)", key, key).
		OrderExpr("CASE WHEN id = ? THEN 0 ELSE 1 END", key).
		Limit(1)
}
