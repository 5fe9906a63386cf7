package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

type releaseRow struct {
	bun.BaseModel `bun:"table:releases,alias:r"`

	TenantID    string     `bun:"tenant_id,pk"`
	ID          string     `bun:"id,pk"`
	Application string     `bun:"application"`
	Name        string     `bun:"name"`
	DisplayName string     `bun:"display_name"`
	Status      string     `bun:"status"`
	SourceRef   *string    `bun:"source_ref"` // JSON, NULL when there is none
	Digest      string     `bun:"digest"`
	CreatedBy   string     `bun:"created_by"`
	FinalizedBy string     `bun:"finalized_by"`
	FinalizedAt *time.Time `bun:"finalized_at"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	Version     int        `bun:"version"`
}

type releaseComponentRow struct {
	bun.BaseModel `bun:"table:release_components,alias:rc"`

	TenantID    string `bun:"tenant_id,pk"`
	ReleaseID   string `bun:"release_id,pk"`
	Name        string `bun:"name,pk"`
	Position    int    `bun:"position"`
	ComponentID string `bun:"component_id"`
	Repository  string `bun:"repository"`
	Digest      string `bun:"digest"`
	Tag         string `bun:"tag"`
	Semver      string `bun:"semver"`
	Role        string `bun:"role"`
	// CreatedAt copies the release's, so that a component filter pages in
	// release order straight from the (tenant_id, name, created_at, release_id) index.
	CreatedAt time.Time `bun:"created_at"`
}

func releaseToRows(r *release.Release) (*releaseRow, []releaseComponentRow, error) {
	row := &releaseRow{
		TenantID: r.TenantID, ID: r.ID, Application: r.Application, Name: r.Name,
		DisplayName: r.DisplayName, Status: string(r.Status), Digest: r.Digest,
		CreatedBy: r.CreatedBy, FinalizedBy: r.FinalizedBy, FinalizedAt: utcPtr(r.FinalizedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	if r.SourceRef != nil {
		src, err := toJSON(r.SourceRef)
		if err != nil {
			return nil, nil, err
		}
		row.SourceRef = &src
	}
	comps := make([]releaseComponentRow, len(r.Components))
	for i, c := range r.Components {
		comps[i] = releaseComponentRow{
			TenantID: r.TenantID, ReleaseID: r.ID, Name: c.Name, Position: i, ComponentID: c.ComponentID,
			Repository: c.Repository, Digest: c.Digest, Tag: c.Tag, Semver: c.Semver, Role: c.Role, CreatedAt: r.CreatedAt,
		}
	}
	return row, comps, nil
}

func (row *releaseRow) toRelease(comps []releaseComponentRow) (release.Release, error) {
	r := release.Release{
		ID: row.ID, TenantID: row.TenantID, Application: row.Application, Name: row.Name,
		DisplayName: row.DisplayName, Status: release.Status(row.Status), Digest: row.Digest,
		CreatedBy: row.CreatedBy, FinalizedBy: row.FinalizedBy, FinalizedAt: utcPtr(row.FinalizedAt),
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(), Version: row.Version,
		Components: make([]release.ReleaseComponent, len(comps)),
	}
	for i, c := range comps {
		r.Components[i] = release.ReleaseComponent{ComponentID: c.ComponentID, Name: c.Name,
			Repository: c.Repository, Digest: c.Digest, Tag: c.Tag, Semver: c.Semver, Role: c.Role}
	}
	if row.SourceRef != nil {
		r.SourceRef = &release.SourceRef{}
		if err := fromJSON(*row.SourceRef, r.SourceRef); err != nil {
			return r, err
		}
	}
	return r, nil
}

func releaseRef(r *release.Release) ref { return ref{kind: "release", key: r.Name} }

func (s *store) CreateRelease(ctx context.Context, r *release.Release) error {
	row, comps, err := releaseToRows(r)
	if err != nil {
		return err
	}
	return s.inTxStore(ctx, func(tx *store) error {
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapErr(err, releaseRef(r))
		}
		return tx.insertReleaseComponents(ctx, r, comps)
	})
}

// UpdateRelease writes the release row and replaces its component rows in one transaction.
func (s *store) UpdateRelease(ctx context.Context, r *release.Release) error {
	row, comps, err := releaseToRows(r)
	if err != nil {
		return err
	}
	return s.inTxStore(ctx, func(tx *store) error {
		if err := tx.updateVersioned(ctx, row, "releases", r.TenantID, r.ID, r.Version, releaseRef(r)); err != nil {
			return err
		}
		if _, err := tx.db.NewDelete().Model((*releaseComponentRow)(nil)).
			Where("tenant_id = ? AND release_id = ?", r.TenantID, r.ID).Exec(ctx); err != nil {
			return err
		}
		return tx.insertReleaseComponents(ctx, r, comps)
	})
}

func (s *store) insertReleaseComponents(ctx context.Context, r *release.Release, comps []releaseComponentRow) error {
	if len(comps) == 0 {
		return nil
	}
	_, err := s.db.NewInsert().Model(&comps).Exec(ctx)
	return mapErr(err, ref{kind: "release", key: r.Name, clash: map[string]string{
		"name": "has two components with the same name",
	}})
}

func (s *store) GetRelease(ctx context.Context, tenant, key string) (*release.Release, error) {
	var row releaseRow
	if err := whereKey(s.db.NewSelect().Model(&row), tenant, key).Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "release", key: key})
	}
	rels, err := s.withComponents(ctx, []releaseRow{row})
	if err != nil {
		return nil, err
	}
	return &rels[0], nil
}

// ListReleases pages releases newest first, by keyset on (created_at, id).
// Every filter but NameContains is answered by an index in page order.
func (s *store) ListReleases(ctx context.Context, tenant string, f release.ReleaseFilter, opts release.ListOptions) (*release.Page[release.Release], error) {
	var rows []releaseRow
	q := s.db.NewSelect().Model(&rows).Where("r.tenant_id = ?", tenant)
	if f.NameContains != "" {
		var err error
		if q, err = s.nameContains(ctx, q, tenant, f.NameContains); err != nil {
			return nil, err
		}
	}
	if f.Application != "" {
		q = q.Where("r.application = ?", f.Application)
	}
	if f.Status != "" {
		q = q.Where("r.status = ?", f.Status)
	}
	// With a component name the scan runs down the (tenant_id, name,
	// created_at, release_id) index of release_components, already in page
	// order, so a rare component costs as little as a common one. Names are
	// unique per release: the join adds no duplicates.
	created, id := "r.created_at", "r.id"
	if f.Component != "" {
		q = q.Join("JOIN release_components AS rc ON rc.tenant_id = r.tenant_id AND rc.release_id = r.id").
			Where("rc.tenant_id = ? AND rc.name = ?", tenant, f.Component)
		created, id = "rc.created_at", "rc.release_id"
	}
	if f.Digest != "" {
		// A union, not an OR: each side is answered by its own digest index.
		q = q.Where(`r.id IN (SELECT d.id FROM releases d WHERE d.tenant_id = ? AND d.digest = ?
			UNION ALL SELECT c.release_id FROM release_components c WHERE c.tenant_id = ? AND c.digest = ?)`,
			tenant, f.Digest, tenant, f.Digest)
	}
	if f.CreatedAfter != nil {
		q = q.Where("r.created_at >= ?", f.CreatedAfter.UTC())
	}
	if f.CreatedBefore != nil {
		q = q.Where("r.created_at < ?", f.CreatedBefore.UTC())
	}
	q, err := newestFirst(q, created, id, opts)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	p, err := toPage(rows, opts, cursorTime, func(r *releaseRow) string { return timeCursorValue(r.CreatedAt, r.ID) },
		func(r *releaseRow) (releaseRow, error) { return *r, nil })
	if err != nil {
		return nil, err
	}
	rels, err := s.withComponents(ctx, p.Items)
	if err != nil {
		return nil, err
	}
	return &release.Page[release.Release]{Items: rels, Cursors: p.Cursors, HasNext: p.HasNext}, nil
}

// withComponents loads the component rows of several releases in one query.
func (s *store) withComponents(ctx context.Context, rows []releaseRow) ([]release.Release, error) {
	out := make([]release.Release, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var comps []releaseComponentRow
	err := s.db.NewSelect().Model(&comps).
		Where("tenant_id = ? AND release_id IN (?)", rows[0].TenantID, bun.List(ids)).
		OrderExpr("release_id, position").
		Scan(ctx)
	if err != nil {
		return nil, err
	}
	byRelease := map[string][]releaseComponentRow{}
	for _, c := range comps {
		byRelease[c.ReleaseID] = append(byRelease[c.ReleaseID], c)
	}
	for i := range rows {
		r, err := rows[i].toRelease(byRelease[rows[i].ID])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *store) DeleteRelease(ctx context.Context, tenant, id string) error {
	return s.deleteRow(ctx, "releases", tenant, id, ref{kind: "release", key: id,
		inUse: &fault.ConflictError{Kind: "release", Key: id, Reason: "is the current release of an environment"}})
}

// nameCandidates bounds the trigram lookup: a substring that matches more
// releases than this is common, and the page is found faster by walking the
// releases newest first, where matches are dense.
const nameCandidates = 2000

// nameContains filters by a case-insensitive substring of the name. A rare
// substring is looked up in the trigram index (FTS5 on SQLite, pg_trgm on
// PostgreSQL) and only its matches are sorted; a common one is left to the
// newest-first walk, which stops after one page. On SQLite the trigram index
// answers LIKE only without an ESCAPE clause, and trigrams need three
// characters, so a short substring or one holding a LIKE wildcard is walked.
func (s *store) nameContains(ctx context.Context, q *bun.SelectQuery, tenant, sub string) (*bun.SelectQuery, error) {
	cond, pattern := s.contains("r.name", sub)
	if s.dialect != DialectSQLite || utf8.RuneCountInString(sub) < 3 || strings.ContainsAny(sub, "%_") {
		return q.Where(cond, pattern), nil
	}
	var ids []string
	err := s.db.NewSelect().TableExpr("release_names AS n").Column("n.release_id").
		Where("n.tenant_id = ? AND n.name LIKE ?", tenant, "%"+sub+"%").Limit(nameCandidates+1).Scan(ctx, &ids)
	if err != nil {
		return nil, err
	}
	if len(ids) > nameCandidates {
		return q.Where(cond, pattern), nil
	}
	if len(ids) == 0 {
		return q.Where("1 = 0"), nil
	}
	return q.Where("r.id IN (?)", bun.List(ids)), nil
}
