package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
)

// Entry is one advisory of a snapshot with the enrichment gates read.
type Entry struct {
	Advisory advisory.Advisory `json:"advisory"`
	KEV      *advisory.KEV     `json:"kev,omitempty"`
	EPSS     *advisory.EPSS    `json:"epss,omitempty"`
}

// Advisories is an advisory snapshot prepared for matching. Its canonical
// form (entries sorted by advisory id, RFC 8785) is what a decision
// records: [Advisories.Digest] is the decision's advisorySnapshotId, and
// [ReadAdvisories] of [Advisories.Canonical] gives the same snapshot back,
// so a recorded decision replays offline. It is safe for concurrent use.
type Advisories struct {
	entries []Entry
	byID    map[string]*Entry
	matcher *advisory.Matcher
	raw     []byte
	digest  string
	epss    bool
}

// NewAdvisories prepares a snapshot. Two entries with one advisory id are
// an error: a snapshot names each advisory once.
func NewAdvisories(entries []Entry) (*Advisories, error) {
	a := &Advisories{entries: slices.Clone(entries), byID: make(map[string]*Entry, len(entries))}
	slices.SortFunc(a.entries, func(x, y Entry) int { return strings.Compare(x.Advisory.ID, y.Advisory.ID) })
	advs := make([]advisory.Advisory, len(a.entries))
	for i := range a.entries {
		e := &a.entries[i]
		if e.Advisory.ID == "" {
			return nil, fmt.Errorf("scan: advisory %d has no id", i+1)
		}
		if _, dup := a.byID[e.Advisory.ID]; dup {
			return nil, fmt.Errorf("scan: advisory %q is in the snapshot twice", e.Advisory.ID)
		}
		a.byID[e.Advisory.ID] = e
		advs[i] = e.Advisory
		a.epss = a.epss || e.EPSS != nil
	}
	raw, err := canon.Marshal(a.entries)
	if err != nil {
		return nil, fmt.Errorf("scan: advisory snapshot: %w", err)
	}
	a.raw, a.digest = raw, canon.SHA256(raw)
	a.matcher = advisory.NewMatcher(advs)
	return a, nil
}

// FromEffective prepares the snapshot of a store's effective advisories,
// one per alias group, with their KEV and EPSS.
func FromEffective(effs []advisory.Effective) (*Advisories, error) {
	entries := make([]Entry, len(effs))
	for i := range effs {
		entries[i] = Entry{Advisory: effs[i].Advisory(), KEV: effs[i].KEV, EPSS: effs[i].EPSS}
	}
	return NewAdvisories(entries)
}

// ReadAdvisories reads a snapshot in its canonical form.
func ReadAdvisories(raw []byte) (*Advisories, error) {
	var entries []Entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("scan: advisory snapshot: %w", err)
	}
	return NewAdvisories(entries)
}

// Digest is the sha256 of the canonical snapshot.
func (a *Advisories) Digest() string { return a.digest }

// Canonical returns the snapshot's canonical JSON; callers must not
// modify it.
func (a *Advisories) Canonical() []byte { return a.raw }

// Len is the number of advisories.
func (a *Advisories) Len() int { return len(a.entries) }

// HasEPSS reports whether any advisory carries an EPSS score.
func (a *Advisories) HasEPSS() bool { return a.epss }

// Advisories returns the advisories, sorted by id.
func (a *Advisories) Advisories() []advisory.Advisory {
	out := make([]advisory.Advisory, len(a.entries))
	for i := range a.entries {
		out[i] = a.entries[i].Advisory
	}
	return out
}

// Lookup returns the entry of an advisory id.
func (a *Advisories) Lookup(id string) (Entry, bool) {
	e, ok := a.byID[id]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Match matches doc's packages and gives each finding the KEV and EPSS of
// its advisory.
func (a *Advisories) Match(ctx context.Context, doc *sbom.Document) (advisory.Report, error) {
	rep, err := a.matcher.Scan(ctx, doc)
	if err != nil {
		return rep, err
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if e := a.byID[f.AdvisoryID]; e != nil {
			f.KEV, f.EPSS = e.KEV, e.EPSS
		}
	}
	return rep, nil
}
