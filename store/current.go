package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
)

// currentReleaseRow is the release of one application now deployed in an environment.
type currentReleaseRow struct {
	bun.BaseModel `bun:"table:environment_current_releases"`

	TenantID      string `bun:"tenant_id,pk"`
	EnvironmentID string `bun:"environment_id,pk"`
	Application   string `bun:"application,pk"`
	ReleaseID     string `bun:"release_id"`
}

// SetCurrentRelease records releaseID as the release of application now
// deployed in an environment, replacing the previous one. The promotion
// service (release.Promotions) writes it when a deployment succeeds, in the
// transaction that records the promotion as deployed.
func (d *store) SetCurrentRelease(ctx context.Context, tenant, envID, application, releaseID string) error {
	row := &currentReleaseRow{TenantID: tenant, EnvironmentID: envID, Application: application, ReleaseID: releaseID}
	_, err := d.db.NewInsert().Model(row).
		On("CONFLICT (tenant_id, environment_id, application) DO UPDATE").
		Set("release_id = EXCLUDED.release_id").
		Exec(ctx)
	return mapErr(err, ref{kind: "environment", key: envID,
		missing: &fault.NotFoundError{Kind: "environment or release", Key: envID + ", " + releaseID}})
}
