package promotiontest

import (
	"context"

	"github.com/stella-ops/stella/release"
)

// transitions checks that every transition of p was handed over in order
// (PromotionsTransitions), each with the promotion as it left it: the
// status reached, one version more, the status before and the spec event
// the edge emits.
func (f *fixture) transitions(p *release.Promotion, want ...release.PromotionStatus) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var got []release.PromotionEvent
	for _, e := range f.moves {
		if e.Promotion.ID == p.ID {
			got = append(got, e)
		}
	}
	if len(got) != len(want) {
		f.t.Fatalf("promotion %s: %d transitions handed over, want %d (%v)", p.ID, len(got), len(want), want)
	}
	var from release.PromotionStatus
	for i, e := range got {
		edgeEvent := release.EventPromotionRequested
		if i > 0 {
			edge, ok := from.Next(e.Trigger)
			if !ok || edge.To != e.Promotion.Status {
				f.t.Errorf("transition %d: %s by %q is not an edge to %s", i, from, e.Trigger, e.Promotion.Status)
			}
			edgeEvent = edge.Event
		}
		if e.Promotion.Status != want[i] || e.From != from || e.Promotion.Version != i+1 || e.Event.Type != edgeEvent {
			f.t.Errorf("transition %d: %s → %s (version %d, event %q); want %s → %s (version %d, event %q)",
				i, e.From, e.Promotion.Status, e.Promotion.Version, e.Event.Type, from, want[i], i+1, edgeEvent)
		}
		from = e.Promotion.Status
	}
}

// currentRelease checks, when the store reads current releases, that the
// deployed promotion p is its environment's current release of its
// application, recorded with p and its completion time.
func (f *fixture) currentRelease(p *release.Promotion) {
	f.t.Helper()
	r, ok := f.s.(interface {
		CurrentReleases(ctx context.Context, tenant, envID string) ([]release.CurrentRelease, error)
	})
	if !ok {
		return
	}
	cs, err := r.CurrentReleases(f.ctx, tenantID, p.TargetEnvironmentID)
	f.must(err)
	want := release.CurrentRelease{EnvironmentID: p.TargetEnvironmentID, Application: p.Application, ReleaseID: p.ReleaseID,
		PromotionID: p.ID, DeployedAt: *p.CompletedAt}
	if len(cs) != 1 || !cs[0].DeployedAt.Equal(want.DeployedAt) || cs[0].PromotionID != want.PromotionID || cs[0].ReleaseID != want.ReleaseID ||
		cs[0].Application != want.Application {
		f.t.Fatalf("current releases %+v, want %+v", cs, want)
	}
}
