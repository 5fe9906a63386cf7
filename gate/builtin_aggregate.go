package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	severity, setting string
	max               int
}

func (s aggregateSettings) limits() []aggregateLimit {
	return []aggregateLimit{
		{SeverityCritical, "maxCritical", s.MaxCritical},
		{SeverityHigh, "maxHigh", s.MaxHigh},
		{SeverityMedium, "maxMedium", s.MaxMedium},
		{SeverityLow, "maxLow", s.MaxLow},
	}
}

// aggregateGate bounds how many distinct vulnerabilities of each severity
// a release may carry. A vulnerability counts once however many
// components or aliases it appears under.
type aggregateGate struct {
	builtinBase
	s aggregateSettings
}

func newAggregateGate(b builtinBase, s aggregateSettings) Gate { return &aggregateGate{b, s} }

func (g *aggregateGate) Evaluate(_ context.Context, in *Input) (Result, error) {
	groups := newAliasGroups(in.Findings)
	// A group's severity is the highest among its active findings; an
	// unscored one counts as critical (fail closed).
	worst := map[string]int{}
	for i := range in.Findings {
		f := &in.Findings[i]
		if !f.Active {
			continue
		}
		k, r := groups.of(f), judgedRank(findingSeverity(f))
		if cur, ok := worst[k]; !ok || r > cur {
			worst[k] = r
		}
	}
	labels := []string{SeverityNone, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	bySeverity := map[string][]string{}
	for k, r := range worst {
		bySeverity[labels[r]] = append(bySeverity[labels[r]], k)
	}
	v := newVerdict(g.typ)
	counts, limits, ids := map[string]any{}, map[string]any{}, map[string]any{}
	var over []string
	for _, l := range g.s.limits() {
		keys := bySeverity[l.severity]
		slices.Sort(keys)
		counts[l.severity] = len(keys)
		limits[l.severity] = l.max
		ids[l.severity] = append([]string{}, keys...)
		if l.max >= 0 && len(keys) > l.max {
			v.add(StatusFail, l.severity+"-exceeded")
			over = append(over, fmt.Sprintf("%d %s (max %d)", len(keys), l.severity, l.max))
		}
	}
	msg := "vulnerability counts within limits"
	if len(over) > 0 {
		msg = "too many vulnerabilities: " + strings.Join(over, ", ")
	}
	return v.result(msg, map[string]any{"counts": counts, "limits": limits, "vulnerabilities": ids}), nil
}
