package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

// currentReleaseRow is the release of one application now deployed in an
// environment. promotion_id and deployed_at came with migration 0013; rows
// written before it were filled from the deployed promotions.
type currentReleaseRow struct {
	bun.BaseModel `bun:"table:environment_current_releases"`

	TenantID      string     `bun:"tenant_id,pk"`
	EnvironmentID string     `bun:"environment_id,pk"`
	Application   string     `bun:"application,pk"`
	ReleaseID     string     `bun:"release_id"`
	PromotionID   string     `bun:"promotion_id"`
	DeployedAt    *time.Time `bun:"deployed_at"`
}

// SetCurrentRelease records c as the release of its application now
// deployed in its environment, replacing the previous one. The promotion
// service (release.Promotions) writes it when a deployment succeeds, in the
// transaction that records the promotion as deployed.
func (d *store) SetCurrentRelease(ctx context.Context, tenant string, c release.CurrentRelease) error {
	row := &currentReleaseRow{TenantID: tenant, EnvironmentID: c.EnvironmentID, Application: c.Application,
		ReleaseID: c.ReleaseID, PromotionID: c.PromotionID}
	if !c.DeployedAt.IsZero() {
		at := c.DeployedAt.UTC()
		row.DeployedAt = &at
	}
	_, err := d.db.NewInsert().Model(row).
		On("CONFLICT (tenant_id, environment_id, application) DO UPDATE").
		Set("release_id = EXCLUDED.release_id").
		Set("promotion_id = EXCLUDED.promotion_id").
		Set("deployed_at = EXCLUDED.deployed_at").
		Exec(ctx)
	return mapErr(err, ref{kind: "environment", key: c.EnvironmentID,
		missing: &fault.NotFoundError{Kind: "environment or release", Key: c.EnvironmentID + ", " + c.ReleaseID}})
}

// CurrentReleases returns what is deployed in an environment of the
// tenant, one release per application, by application name.
func (d *store) CurrentReleases(ctx context.Context, tenant, envID string) ([]release.CurrentRelease, error) {
	var rows []currentReleaseRow
	err := d.db.NewSelect().Model(&rows).
		Where("tenant_id = ? AND environment_id = ?", tenant, envID).
		OrderExpr("application").Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]release.CurrentRelease, len(rows))
	for i, r := range rows {
		out[i] = release.CurrentRelease{EnvironmentID: r.EnvironmentID, Application: r.Application,
			ReleaseID: r.ReleaseID, PromotionID: r.PromotionID}
		if r.DeployedAt != nil {
			out[i].DeployedAt = r.DeployedAt.UTC()
		}
	}
	return out, nil
}
