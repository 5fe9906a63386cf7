package advisory

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Merge derives the effective advisories of a set of latest observations
// (advisory.md §3), one per alias group, sorted by id.
//
// Grouping: a union-find links each observation's primary id with each of
// its aliases (never OSV related ids); each connected set is a group whose
// id is GroupKey of its identifiers (smallest CVE id, else smallest GHSA id,
// else smallest id). Observations of enrichment sources (rank
// RankEnrichment: kev, epss) are ignored — use Enrich. When the input holds
// several revisions of one upstream document, only the highest revision
// (from the store id "<source>:<upstreamId>:<revision>") is used.
//
// Fields: candidates are ordered by rank (lower wins), then newer upstream
// modified, then smaller source id, then smaller upstream id.
//   - summary, details, published: the first candidate that gives the field.
//   - severity: the first candidate that gives a CVSS vector (v4 before v3.1
//     before v3.0 within a source); severities[] keeps every source's.
//   - withdrawn: the first candidate overall (the identity winner) decides.
//   - affected: per package key (ecosystem, normalized name), the first
//     candidate that names the key gives all its ranges and versions for
//     that key. Keys are unioned across sources: a distro source (rank 1)
//     wins its own "<Distro>:<release>" keys, which other sources only name
//     when they describe the same distro release (an OSV Debian:12 record);
//     GHSA/OSV win language keys over NVD; NVD's CPE keys survive only where
//     no better source names them. Entries of one observation with the same
//     key are concatenated in document order.
//   - aliases, references: unioned (references deduplicated by type and
//     URL, each with the sources that gave it).
//
// Conflicts: severity-mismatch (scored sources differ by more than 1.0 or
// in label), affected-range-divergence (two sources' ranges for a key do
// not intersect, checked with the ecosystem's version scheme; not raised
// when versions cannot be compared), fixed-version-mismatch (different sets
// of fixed versions for a key), withdrawn-disagreement, alias-inconsistency
// (more than one CVE id) and metadata-gap (no affected packages).
//
// Every record's Digest is set; KEV and EPSS are left to Enrich.
func Merge(observations []Observation, p Precedence) ([]Effective, error) {
	latest, err := latestOnly(observations, p)
	if err != nil {
		return nil, err
	}
	uf := newUnionFind()
	for _, c := range latest {
		uf.id(c.obs.Identifiers.Primary)
		for _, a := range c.obs.Identifiers.Aliases {
			uf.union(c.obs.Identifiers.Primary, a)
		}
	}
	members := map[int][]*candidate{}
	for _, c := range latest {
		r := uf.find(uf.id(c.obs.Identifiers.Primary))
		members[r] = append(members[r], c)
	}
	out := make([]Effective, 0, len(members))
	for root, ids := range uf.groups() {
		cs := members[root]
		if len(cs) == 0 {
			continue
		}
		e, err := mergeGroup(ids, cs)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Effective) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// latestOnly validates the input, drops enrichment sources and keeps one
// observation per (source, upstream id): the highest revision, then the
// greatest content hash, so that the choice is order-independent.
func latestOnly(observations []Observation, p Precedence) ([]*candidate, error) {
	byDoc := map[[2]string]*candidate{}
	for i := range observations {
		o := &observations[i]
		if o.Advisory == nil {
			return nil, fmt.Errorf("advisory: merge: observation %s:%s has no parsed advisory", o.Source.ID, o.Upstream.ID)
		}
		if o.Identifiers.Primary == "" {
			return nil, fmt.Errorf("advisory: merge: observation %s:%s has no primary id", o.Source.ID, o.Upstream.ID)
		}
		rank := p.Rank(o.Source.ID)
		if rank == RankEnrichment {
			continue
		}
		k := [2]string{o.Source.ID, o.Upstream.ID}
		c := &candidate{obs: o, rank: rank, label: o.Source.ID}
		if prev, ok := byDoc[k]; ok {
			if cmp.Or(cmp.Compare(revisionOf(prev.obs.ID), revisionOf(o.ID)), strings.Compare(prev.obs.ContentHash, o.ContentHash)) >= 0 {
				continue
			}
		}
		byDoc[k] = c
	}
	out := make([]*candidate, 0, len(byDoc))
	for _, c := range byDoc {
		out = append(out, c)
	}
	return out, nil
}

// revisionOf reads the revision from "<source>:<upstreamId>:<revision>"; 0
// for an unstored observation.
func revisionOf(id string) int {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(id[i+1:])
	return n
}

func mergeGroup(ids []string, cs []*candidate) (Effective, error) {
	slices.SortFunc(cs, compareCandidates)
	perSource := map[string]int{}
	for _, c := range cs {
		perSource[c.source()]++
	}
	for _, c := range cs {
		if perSource[c.source()] > 1 {
			c.label = c.source() + ":" + c.obs.Upstream.ID
		}
	}
	e := Effective{ID: GroupKey(ids), Aliases: []string{}, Severities: []SourceSeverity{}, Affected: []EffectiveAffected{},
		References: []SourcedReference{}, Sources: []EffectiveSource{}, Provenance: []Provenance{}, Conflicts: []Conflict{}}
	var cves []string
	for _, id := range ids {
		if id != e.ID {
			e.Aliases = append(e.Aliases, id)
		}
		if strings.HasPrefix(id, "CVE-") {
			cves = append(cves, id)
		}
	}
	if len(cves) > 1 {
		e.Conflicts = append(e.Conflicts, Conflict{Code: ConflictAliasInconsistency, Field: "/id",
			Sources: labels(cs), Values: map[string]string{"cves": strings.Join(cves, " ")}, Chosen: e.ID, DecisionReason: ReasonTieBreaker})
	}
	for _, c := range cs {
		e.Sources = append(e.Sources, EffectiveSource{Source: c.source(), UpstreamID: c.obs.Upstream.ID,
			ObservationID: c.observationRef(), ContentHash: c.obs.ContentHash, Rank: c.rank})
		if t := c.obs.Advisory.Modified; !t.IsZero() && (e.Modified == nil || t.After(*e.Modified)) {
			t := t.UTC()
			e.Modified = &t
		}
	}
	slices.SortFunc(e.Sources, func(a, b EffectiveSource) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.UpstreamID, b.UpstreamID))
	})

	pick := func(pointer string, has func(*Advisory) bool, set func(*Advisory)) {
		var with []*candidate
		for _, c := range cs {
			if has(c.obs.Advisory) {
				with = append(with, c)
			}
		}
		if len(with) == 0 {
			return
		}
		set(with[0].obs.Advisory)
		e.Provenance = append(e.Provenance, provenance(pointer, with))
	}
	pick("/summary", func(a *Advisory) bool { return strings.TrimSpace(a.Summary) != "" }, func(a *Advisory) { e.Summary = a.Summary })
	pick("/details", func(a *Advisory) bool { return strings.TrimSpace(a.Details) != "" }, func(a *Advisory) { e.Details = a.Details })
	pick("/published", func(a *Advisory) bool { return !a.Published.IsZero() }, func(a *Advisory) {
		t := a.Published.UTC()
		e.Published = &t
	})

	mergeWithdrawn(&e, cs)
	if err := mergeSeverity(&e, cs); err != nil {
		return Effective{}, err
	}
	mergeAffected(&e, cs)
	mergeReferences(&e, cs)

	slices.SortFunc(e.Provenance, func(a, b Provenance) int { return strings.Compare(a.Pointer, b.Pointer) })
	slices.SortFunc(e.Conflicts, func(a, b Conflict) int {
		return cmp.Or(strings.Compare(a.Code, b.Code), strings.Compare(a.Field, b.Field), strings.Compare(a.PackageKey, b.PackageKey))
	})
	d, err := e.ComputeDigest()
	if err != nil {
		return Effective{}, err
	}
	e.Digest = d
	return e, nil
}

func provenance(pointer string, with []*candidate) Provenance {
	w := with[0]
	return Provenance{Pointer: pointer, Source: w.source(), ObservationID: w.observationRef(), Rank: w.rank, DecisionReason: decide(with)}
}

func labels(cs []*candidate) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.label)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func mergeWithdrawn(e *Effective, cs []*candidate) {
	e.Withdrawn = cs[0].obs.Advisory.IsWithdrawn()
	e.Provenance = append(e.Provenance, provenance("/withdrawn", cs))
	values := map[string]string{}
	var withdrawn, active bool
	for _, c := range cs {
		w := c.obs.Advisory.IsWithdrawn()
		withdrawn, active = withdrawn || w, active || !w
		values[c.label] = strconv.FormatBool(w)
	}
	if withdrawn && active {
		e.Conflicts = append(e.Conflicts, Conflict{Code: ConflictWithdrawnDisagreement, Field: "/withdrawn",
			Sources: labels(cs), Values: values, Chosen: strconv.FormatBool(e.Withdrawn), DecisionReason: decide(cs)})
	}
}

// bestSeverity is a source's preferred vector: CVSS v4.0, then v3.1, then
// v3.0 (the first of each in document order).
func bestSeverity(a *Advisory) (*EffectiveSeverity, error) {
	var best *EffectiveSeverity
	bestOrder := -1
	for _, s := range a.Severity {
		v, err := ParseCVSS(s.Score)
		if err != nil {
			continue // a reader validates vectors; an unparsable one is not a severity
		}
		order := map[string]int{"4.0": 3, "3.1": 2, "3.0": 1}[v.Version]
		if order <= bestOrder {
			continue
		}
		c := &CVSS{Version: v.Version, Vector: s.Score, BaseScore: s.BaseScore}
		if c.BaseScore == nil && v.Version != "4.0" {
			score, err := v.BaseScore()
			if err != nil {
				return nil, fmt.Errorf("advisory: merge: %s: %w", a.ID, err)
			}
			c.BaseScore = &score
		}
		best, bestOrder = &EffectiveSeverity{CVSS: c}, order
		if c.BaseScore != nil {
			best.Label = RatingFor(*c.BaseScore)
		}
	}
	return best, nil
}

func mergeSeverity(e *Effective, cs []*candidate) error {
	var with []*candidate
	sevs := map[*candidate]*EffectiveSeverity{}
	for _, c := range cs {
		s, err := bestSeverity(c.obs.Advisory)
		if err != nil {
			return err
		}
		if s == nil {
			continue
		}
		with = append(with, c)
		sevs[c] = s
		e.Severities = append(e.Severities, SourceSeverity{Source: c.source(), ObservationID: c.observationRef(), EffectiveSeverity: *s})
	}
	slices.SortFunc(e.Severities, func(a, b SourceSeverity) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.ObservationID, b.ObservationID))
	})
	if len(with) == 0 {
		return nil
	}
	e.Severity = sevs[with[0]]
	e.Provenance = append(e.Provenance, provenance("/severity", with))
	values := map[string]string{}
	lo, hi := math.Inf(1), math.Inf(-1)
	lbls := map[Rating]bool{}
	for _, c := range with {
		s := sevs[c]
		if s.CVSS.BaseScore == nil {
			values[c.label] = s.CVSS.Vector
			continue
		}
		b := *s.CVSS.BaseScore
		values[c.label] = fmt.Sprintf("%s %.1f %s", s.Label, b, s.CVSS.Vector)
		lo, hi = min(lo, b), max(hi, b)
		lbls[s.Label] = true
	}
	if hi-lo > 1.0 || len(lbls) > 1 {
		e.Conflicts = append(e.Conflicts, Conflict{Code: ConflictSeverityMismatch, Field: "/severity",
			Sources: labels(with), Values: values, Chosen: values[with[0].label], DecisionReason: decide(with)})
	}
	return nil
}

// keyed is one candidate's data for one package key.
type keyed struct {
	c   *candidate
	aff Affected // entries of the key concatenated
}

func mergeAffected(e *Effective, cs []*candidate) {
	byKey := map[PackageKey][]*keyed{}
	for _, c := range cs { // cs is sorted, so each key's list is sorted too
		mine := map[PackageKey]*keyed{}
		for _, a := range c.obs.Advisory.Affected {
			k := NewPackageKey(a.Package.Ecosystem, a.Package.Name)
			x := mine[k]
			if x == nil {
				x = &keyed{c: c, aff: Affected{Package: a.Package}}
				mine[k] = x
				byKey[k] = append(byKey[k], x)
			}
			if x.aff.Package.PURL == "" {
				x.aff.Package.PURL = a.Package.PURL
			}
			x.aff.Ranges = append(x.aff.Ranges, a.Ranges...)
			x.aff.Versions = append(x.aff.Versions, a.Versions...)
		}
	}
	keys := make([]PackageKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b PackageKey) int {
		return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name))
	})
	if len(keys) == 0 {
		e.Conflicts = append(e.Conflicts, Conflict{Code: ConflictMetadataGap, Field: "/affected", Sources: labels(cs),
			Values: map[string]string{}, Chosen: "", DecisionReason: decide(cs)})
		return
	}
	for i, k := range keys {
		list := byKey[k]
		w := list[0]
		eco := comparerFor(k.Ecosystem)
		fixed := FixedVersions(&w.aff, eco)
		e.Affected = append(e.Affected, EffectiveAffected{Package: w.aff.Package, Ranges: w.aff.Ranges, Versions: w.aff.Versions,
			FixedVersions: nonNil(fixed), FixState: fixState(&w.aff, fixed), Source: w.c.source()})
		withC := make([]*candidate, len(list))
		for j, x := range list {
			withC[j] = x.c
		}
		pointer := "/affected/" + strconv.Itoa(i)
		e.Provenance = append(e.Provenance, provenance(pointer, withC))
		if len(list) < 2 {
			continue
		}
		reason := decide(withC)
		fixedValues := map[string]string{w.c.label: strings.Join(fixed, " ")}
		mismatch := false
		diverge := map[string]string{}
		for _, x := range list[1:] {
			f := FixedVersions(&x.aff, eco)
			fixedValues[x.c.label] = strings.Join(f, " ")
			if !slices.Equal(f, fixed) {
				mismatch = true
			}
			if disjoint, known := rangesDisjoint(&w.aff, &x.aff, k.Ecosystem); known && disjoint {
				diverge[x.c.label] = describeRanges(&x.aff)
			}
		}
		if mismatch {
			e.Conflicts = append(e.Conflicts, Conflict{Code: ConflictFixedVersionMismatch, Field: pointer, PackageKey: k.String(),
				Sources: labels(withC), Values: fixedValues, Chosen: fixedValues[w.c.label], DecisionReason: reason})
		}
		if len(diverge) > 0 {
			diverge[w.c.label] = describeRanges(&w.aff)
			srcs := make([]string, 0, len(diverge))
			for l := range diverge {
				srcs = append(srcs, l)
			}
			slices.Sort(srcs)
			e.Conflicts = append(e.Conflicts, Conflict{Code: ConflictRangeDivergence, Field: pointer, PackageKey: k.String(),
				Sources: srcs, Values: diverge, Chosen: diverge[w.c.label], DecisionReason: reason})
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func comparerFor(ecosystem string) Comparer {
	c, err := EcosystemSchemes(ecosystem)
	if err != nil {
		return nil
	}
	return c
}

func fixState(a *Affected, fixed []string) string {
	switch {
	case len(fixed) > 0:
		return FixFixed
	case len(a.Ranges) > 0 || len(a.Versions) > 0:
		return FixNotFixed
	default:
		return FixUnknown
	}
}

// describeRanges renders an entry's ranges for a conflict's values, e.g.
// "ECOSYSTEM[introduced 0, fixed 1.2]; versions[1.0]".
func describeRanges(a *Affected) string {
	var parts []string
	for _, r := range a.Ranges {
		var ev []string
		for _, x := range r.Events {
			k, v := x.Kind()
			ev = append(ev, k+" "+v)
		}
		parts = append(parts, string(r.Type)+"["+strings.Join(ev, ", ")+"]")
	}
	if len(a.Versions) > 0 {
		parts = append(parts, "versions["+strings.Join(a.Versions, ", ")+"]")
	}
	return strings.Join(parts, "; ")
}

// interval is a set of versions [lo, hi) or [lo, hi]; lo "" is unbounded
// below ("introduced 0"), hi "" unbounded above.
type interval struct {
	lo, hi string
	hiIncl bool
}

var errIncomparable = errors.New("incomparable")

// intervals converts an entry's SEMVER/ECOSYSTEM ranges and versions to
// intervals. GIT ranges are skipped; ok is false when a version does not
// compare.
func intervals(a *Affected, ecosystem string) ([]interval, bool) {
	var out []interval
	for _, r := range a.Ranges {
		var c Comparer
		switch r.Type {
		case RangeSemver:
			c = semverRanges
		case RangeEcosystem:
			c = comparerFor(ecosystem)
		default:
			continue
		}
		if c == nil {
			return nil, false
		}
		evs := slices.Clone(r.Events)
		var err error
		slices.SortStableFunc(evs, func(x, y Event) int {
			_, vx := x.Kind()
			_, vy := y.Kind()
			if vx == vy {
				return 0
			}
			if vx == "0" {
				return -1
			}
			if vy == "0" {
				return 1
			}
			n, e := c.Compare(vx, vy)
			if e != nil {
				err = errIncomparable
			}
			return n
		})
		if err != nil {
			return nil, false
		}
		open, lo := false, ""
		for _, ev := range evs {
			k, v := ev.Kind()
			switch k {
			case EventIntroduced:
				if !open {
					open, lo = true, v
					if v == "0" {
						lo = ""
					}
				}
			case EventFixed, EventLimit, EventLastAffected:
				if open {
					out = append(out, interval{lo: lo, hi: v, hiIncl: k == EventLastAffected})
					open = false
				}
			}
		}
		if open {
			out = append(out, interval{lo: lo})
		}
	}
	for _, v := range a.Versions {
		out = append(out, interval{lo: v, hi: v, hiIncl: true})
	}
	return out, true
}

// rangesDisjoint reports whether no version lies in both entries; known is
// false when the versions could not be compared or an entry has no
// evaluable range.
func rangesDisjoint(a, b *Affected, ecosystem string) (disjoint, known bool) {
	ia, okA := intervals(a, ecosystem)
	ib, okB := intervals(b, ecosystem)
	if !okA || !okB || len(ia) == 0 || len(ib) == 0 {
		return false, false
	}
	c := comparerFor(ecosystem)
	if c == nil {
		c = semverRanges
	}
	for _, x := range ia {
		for _, y := range ib {
			o1, e1 := below(c, x, y)
			o2, e2 := below(c, y, x)
			if e1 != nil || e2 != nil {
				return false, false
			}
			if o1 && o2 {
				return false, true
			}
		}
	}
	return true, true
}

// below reports whether x starts before y ends, so the two can overlap.
func below(c Comparer, x, y interval) (bool, error) {
	if y.hi == "" || x.lo == "" {
		return true, nil
	}
	n, err := c.Compare(x.lo, y.hi)
	if err != nil {
		return false, err
	}
	return n < 0 || (n == 0 && y.hiIncl), nil
}

func mergeReferences(e *Effective, cs []*candidate) {
	type key struct{ url, typ string }
	refs := map[key]map[string]bool{}
	for _, c := range cs {
		for _, r := range c.obs.Advisory.References {
			k := key{r.URL, r.Type}
			if refs[k] == nil {
				refs[k] = map[string]bool{}
			}
			refs[k][c.source()] = true
		}
	}
	for k, srcs := range refs {
		r := SourcedReference{Reference: Reference{Type: k.typ, URL: k.url}}
		for s := range srcs {
			r.Sources = append(r.Sources, s)
		}
		slices.Sort(r.Sources)
		e.References = append(e.References, r)
	}
	slices.SortFunc(e.References, func(a, b SourcedReference) int {
		return cmp.Or(strings.Compare(a.URL, b.URL), strings.Compare(a.Type, b.Type))
	})
}
