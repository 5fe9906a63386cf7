package builtin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
)

type aggregateSettings struct {
	MaxCritical int `json:"maxCritical"`
	MaxHigh     int `json:"maxHigh"`
	MaxMedium   int `json:"maxMedium"`
	MaxLow      int `json:"maxLow"` // -1: unlimited
}

func defaultAggregateSettings() aggregateSettings {
	return aggregateSettings{MaxCritical: 0, MaxHigh: 3, MaxMedium: 20, MaxLow: -1}
}

func (s aggregateSettings) validate() error {
	for _, l := range s.limits() {
		if l.max < -1 {
			return settingErr(l.setting, "must be ≥ 0, or -1 for unlimited; got %d", l.max)
		}
	}
	return nil
}

type aggregateLimit struct {
	severity advisory.Rating
	setting  string
	max      int
}

func (s aggregateSettings) limits() []aggregateLimit {
	return []aggregateLimit{
		{advisory.RatingCritical, "maxCritical", s.MaxCritical},
		{advisory.RatingHigh, "maxHigh", s.MaxHigh},
		{advisory.RatingMedium, "maxMedium", s.MaxMedium},
		{advisory.RatingLow, "maxLow", s.MaxLow},
	}
}

// aggregateGate bounds how many distinct vulnerabilities of each severity
// a release may carry. A vulnerability counts once however many
// components or aliases it appears under.
type aggregateGate struct {
	base
	s aggregateSettings
}

func newAggregateGate(b base, s aggregateSettings) gate.Gate { return &aggregateGate{b, s} }

func (g *aggregateGate) Evaluate(_ context.Context, in *gate.Input) (gate.Result, error) {
	groups := newAliasGroups(in.Findings)
	// A group's severity is the highest among its active findings; an
	// unscored one counts as critical (fail closed).
	worst := map[string]advisory.Rating{}
	for i := range in.Findings {
		f := &in.Findings[i]
		if !f.Active {
			continue
		}
		k, r := groups.of(f), findingSeverity(f).Judged()
		if cur, ok := worst[k]; !ok || !cur.AtLeast(r) {
			worst[k] = r
		}
	}
	bySeverity := map[advisory.Rating][]string{}
	for k, r := range worst {
		bySeverity[r] = append(bySeverity[r], k)
	}
	v := newVerdict(g.typ)
	counts, limits, ids := map[string]any{}, map[string]any{}, map[string]any{}
	var over []string
	for _, l := range g.s.limits() {
		keys, sev := bySeverity[l.severity], string(l.severity)
		slices.Sort(keys)
		counts[sev] = len(keys)
		limits[sev] = l.max
		ids[sev] = append([]string{}, keys...)
		if l.max >= 0 && len(keys) > l.max {
			v.add(gate.StatusFail, sev+"-exceeded")
			over = append(over, fmt.Sprintf("%d %s (max %d)", len(keys), sev, l.max))
		}
	}
	msg := "vulnerability counts within limits"
	if len(over) > 0 {
		msg = "too many vulnerabilities: " + strings.Join(over, ", ")
	}
	return v.result(msg, map[string]any{"counts": counts, "limits": limits, "vulnerabilities": ids}), nil
}
