package graph

import (
	"context"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/tenant"
)

// CurrentReleases reads what is deployed in an environment, one release per
// application (*store.DB does).
type CurrentReleases interface {
	CurrentReleases(ctx context.Context, tenant, envID string) ([]release.CurrentRelease, error)
}

var errNoDeployed = &fault.PreconditionError{Kind: "server", Key: "current releases", Code: "CURRENT_RELEASES_UNAVAILABLE",
	Reason: "this server does not read current releases"}

func (r *Resolver) currentReleases(ctx context.Context, envID string) ([]release.CurrentRelease, error) {
	if r.Deployed == nil {
		return nil, errNoDeployed
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return r.Deployed.CurrentReleases(ctx, sc.Tenant, envID)
}

// promotionsInto pages the promotions into an environment, newest first.
func (r *Resolver) promotionsInto(ctx context.Context, envID string, first *int, after *string) (*model.PromotionConnection, error) {
	svc, err := r.promotions()
	if err != nil {
		return nil, err
	}
	opts, err := listOptions(first, after)
	if err != nil {
		return nil, err
	}
	p, err := svc.List(ctx, release.PromotionFilter{TargetEnvironmentID: envID}, opts)
	if err != nil {
		return nil, err
	}
	return promotionConnection(p), nil
}

// deployedPromotion is the promotion that deployed c, nil when not recorded.
func (r *Resolver) deployedPromotion(ctx context.Context, c *release.CurrentRelease) (*release.Promotion, error) {
	if c.PromotionID == "" {
		return nil, nil
	}
	svc, err := r.promotions()
	if err != nil {
		return nil, err
	}
	return svc.Get(ctx, c.PromotionID)
}
