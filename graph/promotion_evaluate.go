package graph

import (
	"context"

	"github.com/stella-ops/stella/gate"
)

// promotionsChanged evaluates the tenant's pending promotions again after
// a change their decisions read (what) committed: release.md §2 rule 2.
// Failures are the service's to log, not the change's: nothing is
// returned. A server without promotions does nothing.
func (r *Resolver) promotionsChanged(ctx context.Context, what string) {
	if r.Promotions != nil {
		r.Promotions.Changed(ctx, what)
	}
}

// Decision reads back a record the decider kept (release.DecisionReader):
// a deployment resumed after a restart seals its packet with it.
func (d PromotionDecider) Decision(ctx context.Context, tenant, recordDigest string) (*gate.Decision, error) {
	if d.R.Gates == nil || d.R.Gates.Store == nil {
		return nil, errNoRecords
	}
	s, err := d.R.Gates.Store.Decision(ctx, tenant, recordDigest)
	if err != nil {
		return nil, err
	}
	return s.Decision, nil
}
