package release

import (
	"cmp"
	"slices"
	"strings"
)

// NextToDeploy applies the deploy lock (release.md §2 rule 3): only one
// promotion per (environment, application) deploys at a time, and the
// others wait in approved in the order they were requested. It returns,
// for each (tenant, environment, application) among ps, the approved
// promotion that may start now: none while one of that application is
// deploying there, else the earliest requestedAt, ties broken by id.
// Other statuses in ps are ignored, so a caller may pass every promotion
// of an environment. The result is ordered by environment, then application.
//
// It is a pure choice over a snapshot; the store must still take the lock
// (a row lock, a unique index on deploying) so that two replicas choosing
// at once cannot both start.
func NextToDeploy(ps []Promotion) []Promotion {
	type lane struct{ tenant, env, app string }
	busy := map[lane]bool{}
	first := map[lane]Promotion{}
	for _, p := range ps {
		l := lane{p.TenantID, p.TargetEnvironmentID, p.Application}
		switch p.Status {
		case PromotionDeploying:
			busy[l] = true
		case PromotionApproved:
			if q, ok := first[l]; !ok || queuedBefore(p, q) {
				first[l] = p
			}
		}
	}
	var out []Promotion
	for l, p := range first {
		if !busy[l] {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Promotion) int {
		return cmp.Or(strings.Compare(a.TenantID, b.TenantID), strings.Compare(a.TargetEnvironmentID, b.TargetEnvironmentID),
			strings.Compare(a.Application, b.Application))
	})
	return out
}

// queuedBefore is FIFO by request time; the id breaks ties so that every
// replica picks the same promotion.
func queuedBefore(a, b Promotion) bool {
	return cmp.Or(a.RequestedAt.Compare(b.RequestedAt), strings.Compare(a.ID, b.ID)) < 0
}
