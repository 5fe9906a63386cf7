package advisory

import (
	"fmt"
	"slices"
	"strings"
)

// AffectedResult is the outcome of evaluating one installed version against
// one affected entry.
type AffectedResult struct {
	Affected bool
	// Unsupported is set when some range could not be evaluated (unknown
	// ecosystem, GIT range, unparsable version) and nothing else matched: the
	// answer is "unknown", not "not affected".
	Unsupported bool
	Evidence    Evidence   // the matching range, or the first unsupported one
	Skipped     []Evidence // ranges that could not be evaluated, in order
}

// EvaluateAffected reports whether version is affected by a: it lies in any
// range, or is listed in a.Versions (OSV's rule). eco is the ecosystem's
// Comparer, nil when the ecosystem is unsupported. An entry with neither
// ranges nor versions affects every version (fail closed).
func EvaluateAffected(a *Affected, version string, eco Comparer) AffectedResult {
	var res AffectedResult
	if len(a.Ranges) == 0 && len(a.Versions) == 0 {
		res.Affected = true
		res.Evidence = Evidence{RangeType: RangeVersions, Decision: "no ranges or versions: every version is affected"}
		return res
	}
	for _, r := range a.Ranges {
		ok, ev, err := EvaluateRange(r, version, eco)
		if err != nil {
			if ev.Note == "" {
				ev.Note = err.Error()
			}
			res.Skipped = append(res.Skipped, ev)
			continue
		}
		if ok {
			res.Affected, res.Evidence = true, ev
			return res
		}
		if res.Evidence.Decision == "" {
			res.Evidence = ev // keep the first negative decision as the explanation
		}
	}
	if v, ok := listed(a.Versions, version, eco); ok {
		res.Affected = true
		res.Evidence = Evidence{RangeType: RangeVersions, Decision: fmt.Sprintf("%s listed in versions as %s", version, v)}
		return res
	}
	// A GIT range alongside evaluable ranges or versions is simply not used;
	// only when nothing could be evaluated is the answer "unsupported".
	evaluable := len(a.Versions) > 0
	for _, r := range a.Ranges {
		evaluable = evaluable || (r.Type == RangeSemver || (r.Type == RangeEcosystem && eco != nil))
	}
	if len(res.Skipped) > 0 && (!evaluable || hasCompareError(res.Skipped)) {
		res.Unsupported = true
		res.Evidence = res.Skipped[0]
	}
	return res
}

// hasCompareError reports a skipped SEMVER/ECOSYSTEM range: one whose
// versions did not parse, so its answer is unknown.
func hasCompareError(skipped []Evidence) bool {
	return slices.ContainsFunc(skipped, func(e Evidence) bool {
		return e.RangeType == RangeSemver || e.RangeType == RangeEcosystem
	})
}

// listed finds version in versions: by exact string, else by scheme
// equality (so "v0.3.7" finds "0.3.7" in Go).
func listed(versions []string, version string, eco Comparer) (string, bool) {
	if slices.Contains(versions, version) {
		return version, true
	}
	if eco == nil {
		return "", false
	}
	for _, v := range versions {
		if r, err := eco.Compare(version, v); err == nil && r == 0 {
			return v, true
		}
	}
	return "", false
}

// FixedVersions lists every fixed event of a's SEMVER/ECOSYSTEM ranges,
// deduplicated and ordered by version (string order if not comparable).
func FixedVersions(a *Affected, eco Comparer) []string {
	var out []string
	for _, r := range a.Ranges {
		if r.Type != RangeSemver && r.Type != RangeEcosystem {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && !slices.Contains(out, e.Fixed) {
				out = append(out, e.Fixed)
			}
		}
	}
	c := eco
	if c == nil {
		c = semverRanges
	}
	slices.SortFunc(out, func(a, b string) int {
		if r, err := c.Compare(a, b); err == nil && r != 0 {
			return r
		}
		return strings.Compare(a, b)
	})
	return out
}
