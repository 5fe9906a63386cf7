package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release"
)

var _ release.PromotionSweep = (*DB)(nil)

// schemaPromotionNotBefore keeps, on a pending promotion, the time its
// latest decision may change by itself (release.Promotion.NotBefore), and
// indexes what a server looks for across tenants when it starts: the
// promotions in a status (recovery after a crash) and the pending ones
// due at a time (the schedule).
func schemaPromotionNotBefore(dialect string) []string {
	return ddl(dialect,
		`ALTER TABLE promotions ADD COLUMN not_before {ts}`,
		`CREATE INDEX promotions_not_before ON promotions (not_before, tenant_id, id) WHERE not_before IS NOT NULL`,
		`CREATE INDEX promotions_status ON promotions (status, tenant_id, id)`,
	)
}

// PromotionsIn pages, across tenants, the promotions whose status is one
// of statuses, by (tenant, id).
func (d *DB) PromotionsIn(ctx context.Context, statuses []release.PromotionStatus, after release.PromotionKey, limit int) ([]release.Promotion, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = string(st)
	}
	var rows []promotionRow
	q := d.db.NewSelect().Model(&rows).Where("p.status IN (?)", bun.List(names))
	return sweepPage(ctx, q, &rows, after, limit)
}

// DuePromotions pages, across tenants, the pending promotions whose
// NotBefore is at or before t, by (tenant, id).
func (d *DB) DuePromotions(ctx context.Context, t time.Time, after release.PromotionKey, limit int) ([]release.Promotion, error) {
	var rows []promotionRow
	q := d.db.NewSelect().Model(&rows).
		Where("p.not_before IS NOT NULL AND p.not_before <= ?", t.UTC()).
		Where("p.status IN (?)", bun.List(pendingStatuses()))
	return sweepPage(ctx, q, &rows, after, limit)
}

// NextNotBefore is the soonest NotBefore of a pending promotion in any
// tenant, nil when none waits for a time.
func (d *DB) NextNotBefore(ctx context.Context) (*time.Time, error) {
	var at []time.Time
	err := d.db.NewSelect().Model((*promotionRow)(nil)).Column("p.not_before").
		Where("p.not_before IS NOT NULL").
		Where("p.status IN (?)", bun.List(pendingStatuses())).
		OrderExpr("p.not_before").Limit(1).
		Scan(ctx, &at)
	if err != nil || len(at) == 0 {
		return nil, err
	}
	t := at[0].UTC()
	return &t, nil
}

func sweepPage(ctx context.Context, q *bun.SelectQuery, rows *[]promotionRow, after release.PromotionKey, limit int) ([]release.Promotion, error) {
	if after != (release.PromotionKey{}) {
		q = q.Where("(p.tenant_id > ? OR (p.tenant_id = ? AND p.id > ?))", after.TenantID, after.TenantID, after.ID)
	}
	if limit <= 0 || limit > release.MaxPageSize {
		limit = release.MaxPageSize
	}
	if err := q.OrderExpr("p.tenant_id, p.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]release.Promotion, len(*rows))
	for i := range *rows {
		p, err := (*rows)[i].toPromotion()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func pendingStatuses() []string {
	var out []string
	for _, st := range release.PromotionStatuses() {
		if st.Pending() {
			out = append(out, string(st))
		}
	}
	return out
}
