package store

import (
	"context"
	"testing"
	"time"

	"github.com/stella-ops/stella/release"
)

// TestCurrentReleases: what is deployed where reads back per application,
// with the promotion that deployed it; a new deployment replaces the
// application's row, and another tenant sees none of it.
func TestCurrentReleases(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		now := fixedTime()
		env := &release.Environment{ID: newID(), TenantID: "acme", Name: "dev", Tier: release.TierDevelopment, CreatedAt: now, UpdatedAt: now, Version: 1}
		rel := func(name, app string) *release.Release {
			return &release.Release{ID: newID(), TenantID: "acme", Name: name, Application: app, Status: release.StatusDraft, CreatedAt: now, UpdatedAt: now, Version: 1}
		}
		shop1, shop2, billing := rel("shop-v1", "shop"), rel("shop-v2", "shop"), rel("billing-v1", "billing")
		for _, err := range []error{db.CreateEnvironment(ctx, env), db.CreateRelease(ctx, shop1), db.CreateRelease(ctx, shop2), db.CreateRelease(ctx, billing)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		set := func(r *release.Release, promotion string, at time.Time) {
			t.Helper()
			c := release.CurrentRelease{EnvironmentID: env.ID, Application: r.Application, ReleaseID: r.ID, PromotionID: promotion, DeployedAt: at}
			if err := db.SetCurrentRelease(ctx, "acme", c); err != nil {
				t.Fatal(err)
			}
		}
		set(shop1, "p1", now)
		set(billing, "", time.Time{})
		set(shop2, "p2", now.Add(time.Minute))

		got, err := db.CurrentReleases(ctx, "acme", env.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []release.CurrentRelease{
			{EnvironmentID: env.ID, Application: "billing", ReleaseID: billing.ID},
			{EnvironmentID: env.ID, Application: "shop", ReleaseID: shop2.ID, PromotionID: "p2", DeployedAt: now.Add(time.Minute).Truncate(time.Microsecond)},
		}
		if len(got) != len(want) {
			t.Fatalf("current releases = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("current release %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		if other, err := db.CurrentReleases(ctx, "globex", env.ID); err != nil || len(other) != 0 {
			t.Errorf("another tenant's current releases = %+v, %v; want none", other, err)
		}
	})
}
