package advisory

import (
	"cmp"
	"strings"
)

// Source precedence ranks (advisory.md §3.2): a lower rank wins.
const (
	// RankEnrichment marks a source that never takes part in precedence
	// (kev, epss): Merge ignores its observations; its data reaches
	// effective advisories through Enrich.
	RankEnrichment = 0
	RankDistro     = 1
	RankVendor     = 2
	RankOSV        = 3 // ghsa and osv
	RankNVD        = 4
	// RankUnknown is given to a source neither the defaults nor
	// Precedence.Ranks name: it loses to every known source.
	RankUnknown = 5
)

// Precedence configures which source wins a contested field. The zero value
// is the default table of advisory.md §3.2:
//
//	debian, alpine, ubuntu, redhat, suse   1 (distro)
//	csaf:<publisher>                       2 (vendor), unless Ranks says otherwise
//	ghsa, osv                              3
//	nvd                                    4
//	kev, epss                              enrichment (never chosen)
//	anything else                          5
//
// Ranks overrides or extends the table per source id: a tenant registers a
// distro CSAF publisher with Ranks{"csaf:redhat": RankDistro}, or demotes
// a source. A rank of RankEnrichment removes a source from precedence.
type Precedence struct {
	Ranks map[string]int `json:"ranks,omitempty"`
}

// DefaultRanks returns the default source → rank table.
func DefaultRanks() map[string]int {
	return map[string]int{
		"debian": RankDistro, "alpine": RankDistro, "ubuntu": RankDistro, "redhat": RankDistro, "suse": RankDistro,
		"ghsa": RankOSV, "osv": RankOSV,
		"nvd": RankNVD,
		"kev": RankEnrichment, "epss": RankEnrichment,
	}
}

// Rank returns the rank of a source id.
func (p Precedence) Rank(source string) int {
	if r, ok := p.Ranks[source]; ok {
		return r
	}
	if r, ok := DefaultRanks()[source]; ok {
		return r
	}
	if strings.HasPrefix(source, "csaf:") {
		return RankVendor
	}
	return RankUnknown
}

// Decision reasons recorded in provenance and conflicts (§3.2 rule 4).
const (
	ReasonPrecedence = "precedence"  // the winner has the lowest rank
	ReasonFreshness  = "freshness"   // equal rank, newer upstream modified time
	ReasonTieBreaker = "tie-breaker" // equal rank and time: smaller source id, then upstream id
	ReasonOnlySource = "only-source" // no other source gave the field
)

// candidate is one latest observation competing inside an alias group.
type candidate struct {
	obs   *Observation
	rank  int
	label string // how conflicts name it: the source id, or source:upstreamId when a source has several
}

func (c *candidate) source() string { return c.obs.Source.ID }

// observationRef is the id provenance records: the store-assigned id, or
// source:upstreamId for an observation not yet stored.
func (c *candidate) observationRef() string {
	if c.obs.ID != "" {
		return c.obs.ID
	}
	return c.obs.Source.ID + ":" + c.obs.Upstream.ID
}

// modified is the upstream modification time: the envelope's, else the
// parsed document's.
func (c *candidate) modified() int64 {
	t := c.obs.Upstream.Modified
	if t.IsZero() && c.obs.Advisory != nil {
		t = c.obs.Advisory.Modified
	}
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// compareCandidates orders the winner first: lower rank, newer modified,
// smaller source id, smaller upstream id. The last key makes the order
// total, so nothing depends on input order.
func compareCandidates(a, b *candidate) int {
	return cmp.Or(
		cmp.Compare(a.rank, b.rank),
		-cmp.Compare(a.modified(), b.modified()),
		strings.Compare(a.source(), b.source()),
		strings.Compare(a.obs.Upstream.ID, b.obs.Upstream.ID),
	)
}

// decide returns why cs[0] (sorted by compareCandidates) beat cs[1].
func decide(cs []*candidate) string {
	switch {
	case len(cs) < 2:
		return ReasonOnlySource
	case cs[0].rank != cs[1].rank:
		return ReasonPrecedence
	case cs[0].modified() != cs[1].modified():
		return ReasonFreshness
	default:
		return ReasonTieBreaker
	}
}
