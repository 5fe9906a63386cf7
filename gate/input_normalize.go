package gate

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Normalize puts the Input in its canonical form (gate.md §3, offline.md
// §1.1): every array sorted by its declared key, nil arrays made empty,
// times UTC and truncated to whole seconds, scores rounded to 6 decimals.
// Deciding on a normalized Input is what makes records independent of
// the order the caller assembled it in.
func (in *Input) Normalize() {
	if in.Schema == "" {
		in.Schema = InputSchema
	}
	in.ClockCutoff = canonTime(in.ClockCutoff)

	in.Release.Components = nonNil(in.Release.Components)
	slices.SortFunc(in.Release.Components, func(a, b Component) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Image, b.Image))
	})
	in.Requester.Groups = sortedUnique(in.Requester.Groups)

	in.Findings = nonNil(in.Findings)
	for i := range in.Findings {
		normalizeFinding(&in.Findings[i])
	}
	slices.SortFunc(in.Findings, CompareFindings)

	in.SBOM.Digests = sortedUnique(in.SBOM.Digests)
	if in.SBOM.ByType == nil {
		in.SBOM.ByType = map[string]int{}
	}

	in.Approvals = nonNil(in.Approvals)
	for i := range in.Approvals {
		a := &in.Approvals[i]
		a.At = canonTime(a.At)
		a.Groups = sortedUnique(a.Groups)
	}
	slices.SortFunc(in.Approvals, compareApprovals)

	in.Provenance = nonNil(in.Provenance)
	slices.SortFunc(in.Provenance, func(a, b Provenance) int {
		return cmp.Or(strings.Compare(a.Image, b.Image), strings.Compare(a.Signer, b.Signer), strings.Compare(a.Builder, b.Builder))
	})

	in.Gates = nonNil(in.Gates)
	for i := range in.Gates {
		in.Gates[i].ReasonCodes = sortedUnique(in.Gates[i].ReasonCodes)
	}
	slices.SortFunc(in.Gates, func(a, b GateSummary) int { return strings.Compare(a.ID, b.ID) })

	in.Environment.ApproverGroups = sortedUnique(in.Environment.ApproverGroups)
	in.Environment.ApproverUsers = sortedUnique(in.Environment.ApproverUsers)
	for i := range in.Environment.FreezeWindows {
		w := &in.Environment.FreezeWindows[i]
		w.Start, w.End = canonTime(w.Start), canonTime(w.End)
		w.Exceptions = sortedUnique(w.Exceptions)
	}
	slices.SortFunc(in.Environment.FreezeWindows, func(a, b FreezeWindow) int {
		return cmp.Or(a.Start.Compare(b.Start), a.End.Compare(b.End), strings.Compare(a.Name, b.Name))
	})

	if in.Baseline != nil {
		in.Baseline.Findings = nonNil(in.Baseline.Findings)
		for i := range in.Baseline.Findings {
			normalizeFinding(&in.Baseline.Findings[i])
		}
		slices.SortFunc(in.Baseline.Findings, CompareFindings)
	}
	for i := range in.Confirmations {
		c := &in.Confirmations[i]
		c.At = canonTime(c.At)
		c.Groups = sortedUnique(c.Groups)
	}
	slices.SortFunc(in.Confirmations, func(a, b Confirmation) int {
		return cmp.Or(strings.Compare(a.GateID, b.GateID), a.At.Compare(b.At), strings.Compare(a.UserID, b.UserID))
	})
}

func normalizeFinding(f *Finding) {
	f.Aliases = sortedUnique(f.Aliases)
	f.FixedVersions = nonNil(f.FixedVersions) // ordered by version: kept as given
	if f.CVSS != nil {
		v := round6(*f.CVSS)
		f.CVSS = &v
	}
	if f.EPSS != nil {
		e := *f.EPSS
		e.Score, e.Percentile = round6(e.Score), round6(e.Percentile)
		f.EPSS = &e
	}
	if f.VEX != nil {
		v := *f.VEX
		v.Confidence = round6(v.Confidence)
		f.VEX = &v
	}
	if f.Exception != nil {
		e := *f.Exception
		e.CreatedAt, e.ExpiresAt = canonTime(e.CreatedAt), canonTime(e.ExpiresAt)
		e.Scope.Environments = sortedUnique(e.Scope.Environments)
		f.Exception = &e
	}
}

func compareApprovals(a, b Approval) int {
	return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ApproverID, b.ApproverID), strings.Compare(a.Action, b.Action))
}

// clone copies the Input deeply enough that normalizing and filling Gates
// never touches the caller's slices.
func (in *Input) clone() *Input {
	c := *in
	c.Release.Components = slices.Clone(in.Release.Components)
	c.Requester.Groups = slices.Clone(in.Requester.Groups)
	c.Findings = slices.Clone(in.Findings)
	for i := range c.Findings {
		f := &c.Findings[i]
		f.Aliases = slices.Clone(f.Aliases)
		f.FixedVersions = slices.Clone(f.FixedVersions)
	}
	c.SBOM.Digests = slices.Clone(in.SBOM.Digests)
	c.Approvals = slices.Clone(in.Approvals)
	for i := range c.Approvals {
		c.Approvals[i].Groups = slices.Clone(c.Approvals[i].Groups)
	}
	c.Provenance = slices.Clone(in.Provenance)
	c.Gates = slices.Clone(in.Gates)
	c.Environment.ApproverGroups = slices.Clone(in.Environment.ApproverGroups)
	c.Environment.ApproverUsers = slices.Clone(in.Environment.ApproverUsers)
	c.Environment.FreezeWindows = slices.Clone(in.Environment.FreezeWindows)
	for i := range c.Environment.FreezeWindows {
		w := &c.Environment.FreezeWindows[i]
		w.Exceptions = slices.Clone(w.Exceptions)
	}
	if in.Baseline != nil {
		b := *in.Baseline
		b.Findings = slices.Clone(b.Findings)
		c.Baseline = &b
	}
	c.Confirmations = slices.Clone(in.Confirmations)
	c.ImagesWithoutSBOM = slices.Clone(in.ImagesWithoutSBOM)
	return &c
}

func canonTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sortedUnique returns the distinct non-empty strings of s, sorted, never nil.
func sortedUnique(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
