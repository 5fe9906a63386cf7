package advisory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/canon"
)

// Errors a Store wraps.
var (
	// ErrConflict: other content under an existing observation id, or a
	// revision that does not follow the stored latest one.
	ErrConflict = errors.New("advisory: conflict")
	// ErrNotFound: no such observation or effective advisory.
	ErrNotFound = errors.New("advisory: not found")
)

// AppendStatus is the outcome of appending one observation.
type AppendStatus string

// Append outcomes (advisory.md §2).
const (
	// Appended: stored as a new revision.
	Appended AppendStatus = "appended"
	// SkipIdentical: the latest revision of the document has the same
	// content hash (or the given id is stored with it); nothing was written.
	SkipIdentical AppendStatus = "skip-identical"
)

// AppendOutcome is what happened to one observation of an Append.
type AppendOutcome struct {
	ID         string       `json:"id"` // <source>:<upstreamId>:<revision>
	Status     AppendStatus `json:"status"`
	Revision   int          `json:"revision"`
	Supersedes string       `json:"supersedes,omitempty"`
}

// AppendResult counts an Append's outcomes; Outcomes is in input order.
type AppendResult struct {
	Appended int             `json:"appended"`
	Skipped  int             `json:"skipped"`
	Outcomes []AppendOutcome `json:"outcomes"`
}

// Snapshot names a set of latest observations (advisory.md §6): ID is
// "sha256:" of JCS of the sorted list of {id, contentHash}.
type Snapshot struct {
	ID           string    `json:"id"`
	Observations int       `json:"observations"`
	CreatedAt    time.Time `json:"createdAt,omitzero"`
}

// NewSnapshot computes the snapshot of a set of stored latest observations.
func NewSnapshot(latest []Observation) (Snapshot, error) {
	type entry struct {
		ID          string `json:"id"`
		ContentHash string `json:"contentHash"`
	}
	list := make([]entry, len(latest))
	for i, o := range latest {
		list[i] = entry{o.ID, o.ContentHash}
	}
	slices.SortFunc(list, func(a, b entry) int { return strings.Compare(a.ID, b.ID) })
	id, err := canon.Digest(list)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{ID: id, Observations: len(list)}, nil
}

// Store keeps raw observations append-only and the derived effective view.
// Every method is scoped by tenant.
//
// Append assigns each observation its revision: the first document of a
// (tenant, source, upstream id) is revision 1; a document whose content hash
// equals the latest revision's is skipped (SkipIdentical); otherwise it
// becomes revision N+1 with Supersedes = revision N. An observation that
// arrives with an ID (an imported bundle) must either be stored with the
// same content hash (skipped) or be exactly the next revision; anything else
// is ErrConflict. Append is one transaction: all or nothing. CreatedAt is
// the observation's when set (an injected clock), else the store's clock.
//
// PutEffective replaces the tenant's whole effective view (it is derived:
// the result of Merge over Latest) and records the snapshot it came from.
type Store interface {
	Append(ctx context.Context, tenant string, obs []Observation) (AppendResult, error)
	// Latest returns the latest revision of every upstream document, with
	// Advisory parsed, sorted by id.
	Latest(ctx context.Context, tenant string) ([]Observation, error)
	// Observation returns any revision by id (superseded ones stay readable).
	Observation(ctx context.Context, tenant, id string) (*Observation, error)
	// Revisions returns every revision of one upstream document, oldest first.
	Revisions(ctx context.Context, tenant, source, upstreamID string) ([]Observation, error)

	PutEffective(ctx context.Context, tenant string, effs []Effective, snap Snapshot) error
	// Effective finds a record by its id or any alias.
	Effective(ctx context.Context, tenant, idOrAlias string) (*Effective, error)
	// EffectiveByPackage returns the records with an affected entry for the
	// package key (names normalized as NewPackageKey does), sorted by id.
	EffectiveByPackage(ctx context.Context, tenant, ecosystem, name string) ([]Effective, error)
	// EffectiveAll returns the whole view, sorted by id, and its snapshot
	// (zero when none was stored).
	EffectiveAll(ctx context.Context, tenant string) ([]Effective, Snapshot, error)
}

// Rebuilt is the result of Rebuild.
type Rebuilt struct {
	Snapshot Snapshot    `json:"snapshot"`
	Changed  []string    `json:"changed"` // group ids added, removed or with a new digest
	Before   []Effective `json:"-"`
	After    []Effective `json:"-"`
}

// Rebuild recomputes a tenant's effective view from its latest
// observations, stores it and reports which groups changed. Run it after
// every import (the same path for online sync and bundle import).
func Rebuild(ctx context.Context, s Store, tenant string, p Precedence, enr Enrichment) (Rebuilt, error) {
	latest, err := s.Latest(ctx, tenant)
	if err != nil {
		return Rebuilt{}, err
	}
	snap, err := NewSnapshot(latest)
	if err != nil {
		return Rebuilt{}, err
	}
	after, err := Merge(latest, p)
	if err != nil {
		return Rebuilt{}, err
	}
	if err := Enrich(after, enr); err != nil {
		return Rebuilt{}, err
	}
	before, _, err := s.EffectiveAll(ctx, tenant)
	if err != nil {
		return Rebuilt{}, err
	}
	if err := s.PutEffective(ctx, tenant, after, snap); err != nil {
		return Rebuilt{}, err
	}
	return Rebuilt{Snapshot: snap, Changed: Changed(before, after), Before: before, After: after}, nil
}
