package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/vex"
)

// FindingSource is one matched advisory finding in one release component,
// with what is known about it.
type FindingSource struct {
	Finding   advisory.Finding
	Component string       // release component name
	Layer     string       // layer digest the package came from, if known
	VEX       *vex.Verdict // consensus verdict; nil when none was computed
	Reachable *bool        // nil: unknown
}

// FindingScope is what exception matching needs beyond the finding.
type FindingScope struct {
	Cutoff      time.Time
	ReleaseName string
	Environment string // target environment name
	Exceptions  []exception.Exception
	Revocations []exception.Revocation
}

// BuildFindings turns matched findings into the Input's findings: ids,
// severity labels, fix state, KEV/EPSS, the VEX verdict and the winning
// exception applied, activity computed; sorted by advisoryId, purl,
// component. The same (advisory, component, purl) given twice is an error,
// since its id would not be unique.
func BuildFindings(srcs []FindingSource, scope FindingScope) ([]Finding, error) {
	out := make([]Finding, 0, len(srcs))
	seen := make(map[string]bool, len(srcs))
	for _, s := range srcs {
		f, err := buildFinding(s, scope)
		if err != nil {
			return nil, err
		}
		if seen[f.ID] {
			return nil, fmt.Errorf("gate: duplicate finding %s in %s (%s)", f.AdvisoryID, f.Component.Name, f.Component.Purl)
		}
		seen[f.ID] = true
		out = append(out, f)
	}
	slices.SortFunc(out, CompareFindings)
	return out, nil
}

// FindingID is "sha256:" of JCS {advisoryId, component: {name, purl}}.
func FindingID(advisoryID, component, purl string) (string, error) {
	type ref struct {
		Name string `json:"name"`
		Purl string `json:"purl"`
	}
	return canon.Digest(struct {
		AdvisoryID string `json:"advisoryId"`
		Component  ref    `json:"component"`
	}{advisoryID, ref{component, purl}})
}

func buildFinding(s FindingSource, scope FindingScope) (Finding, error) {
	af := s.Finding
	id, err := FindingID(af.AdvisoryID, s.Component, af.Package)
	if err != nil {
		return Finding{}, err
	}
	f := Finding{
		ID:            id,
		AdvisoryID:    af.AdvisoryID,
		Aliases:       sortedUnique(af.Aliases),
		Component:     FindingRef{Name: s.Component, Purl: af.Package, Layer: s.Layer},
		FixState:      "not-fixed",
		FixedVersions: slices.Clone(af.FixedVersions),
		Reachable:     s.Reachable,
	}
	if f.FixedVersions == nil {
		f.FixedVersions = []string{}
	}
	if len(af.FixedVersions) > 0 {
		f.FixState = "fixed"
	}
	if af.Severity != nil && af.Severity.BaseScore != nil {
		v := round6(*af.Severity.BaseScore)
		f.CVSS = &v
	}
	// Unscored is not harmless: "unknown" is judged as critical.
	f.Severity = advisory.RatingUnknown
	if f.CVSS != nil {
		f.Severity = advisory.RatingFor(*f.CVSS)
	}
	if af.KEV != nil {
		f.KEV = &KEV{DateAdded: af.KEV.DateAdded, DueDate: af.KEV.DueDate, Ransomware: af.KEV.Ransomware}
	}
	if af.EPSS != nil {
		f.EPSS = &EPSS{Score: round6(af.EPSS.Score), Percentile: round6(af.EPSS.Percentile), ModelVersion: af.EPSS.ModelVersion}
	}
	suppressedByVEX := false
	if v := s.VEX; v != nil {
		f.VEX = &VEX{Status: string(v.Status), Confidence: round6(v.Confidence), Conflict: v.Conflict, ConsensusDigest: v.Digest}
		if v.Justification != "" {
			j := string(v.Justification)
			f.VEX.Justification = &j
		}
		suppressedByVEX = v.Suppressed()
	}
	target := exception.Target{
		IDs:         append([]string{af.AdvisoryID}, af.Aliases...),
		PackageKey:  af.PackageKey.String(),
		Purl:        af.Package,
		Component:   s.Component,
		ReleaseName: scope.ReleaseName,
		Environment: scope.Environment,
	}
	suppressedByException := false
	if e := exception.Winner(target, scope.Cutoff, scope.Exceptions, scope.Revocations); e != nil {
		f.Exception = e
		switch e.Effect {
		case exception.Suppress:
			suppressedByException = true
		case exception.Downgrade:
			to, ok := e.DowngradeTo.Rank()
			cur, _ := f.Severity.Judged().Rank()
			if ok && to < cur { // a downgrade never raises
				f.Severity = e.DowngradeTo
			}
		}
	}
	f.Active = !suppressedByVEX && !suppressedByException
	return f, nil
}

// CompareFindings orders findings as the Input holds them (gate.md §3):
// by advisoryId, then purl, then component name, id and layer, so the
// order is total. Gates that list findings in their details list them in
// this order, whatever order they arrived in.
func CompareFindings(a, b Finding) int {
	return cmp.Or(
		strings.Compare(a.AdvisoryID, b.AdvisoryID),
		strings.Compare(a.Component.Purl, b.Component.Purl),
		strings.Compare(a.Component.Name, b.Component.Name),
		strings.Compare(a.ID, b.ID),
		strings.Compare(a.Component.Layer, b.Component.Layer),
	)
}
