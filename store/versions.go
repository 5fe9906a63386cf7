package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release"
)

type versionRow struct {
	bun.BaseModel `bun:"table:version_entries,alias:ve"`

	TenantID      string    `bun:"tenant_id,pk"`
	ID            string    `bun:"id,pk"`
	ComponentID   string    `bun:"component_id"`
	Tag           string    `bun:"tag"`
	Digest        string    `bun:"digest"`
	Semver        string    `bun:"semver"`
	Channel       string    `bun:"channel"`
	Prerelease    string    `bun:"prerelease"`
	BuildMetadata string    `bun:"build_metadata"`
	ResolvedAt    time.Time `bun:"resolved_at"`
	Source        string    `bun:"source"`
}

func (r *versionRow) toEntry() release.VersionEntry {
	return release.VersionEntry{
		ID: r.ID, TenantID: r.TenantID, ComponentID: r.ComponentID, Tag: r.Tag, Digest: r.Digest,
		Semver: r.Semver, Channel: r.Channel, Prerelease: r.Prerelease, BuildMetadata: r.BuildMetadata,
		ResolvedAt: r.ResolvedAt.UTC(), Source: r.Source,
	}
}

func (s *store) AppendVersions(ctx context.Context, entries []release.VersionEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]versionRow, len(entries))
	for i, e := range entries {
		rows[i] = versionRow{
			TenantID: e.TenantID, ID: e.ID, ComponentID: e.ComponentID, Tag: e.Tag, Digest: e.Digest,
			Semver: e.Semver, Channel: e.Channel, Prerelease: e.Prerelease, BuildMetadata: e.BuildMetadata,
			ResolvedAt: e.ResolvedAt.UTC(), Source: e.Source,
		}
	}
	// One statement: the batch lands whole or not at all.
	_, err := s.db.NewInsert().Model(&rows).Exec(ctx)
	return mapErr(err, ref{kind: "version entry", key: entries[0].ComponentID})
}

// LatestVersions returns the newest entry of each tag of a component, newest first.
func (s *store) LatestVersions(ctx context.Context, tenant, componentID string) ([]release.VersionEntry, error) {
	var rows []versionRow
	err := s.db.NewSelect().Model(&rows).
		Where("tenant_id = ? AND component_id = ?", tenant, componentID).
		Where(`id = (SELECT max(v.id) FROM version_entries v
			WHERE v.tenant_id = ve.tenant_id AND v.component_id = ve.component_id AND v.tag = ve.tag)`).
		OrderExpr("id DESC").
		Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]release.VersionEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].toEntry()
	}
	return out, nil
}

func (s *store) ListVersions(ctx context.Context, tenant string, f release.VersionFilter, opts release.ListOptions) (*release.Page[release.VersionEntry], error) {
	var rows []versionRow
	q := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant)
	if f.ComponentID != "" {
		q = q.Where("component_id = ?", f.ComponentID)
	}
	if f.Tag != "" {
		q = q.Where("tag = ?", f.Tag)
	}
	q, err := keyset(q, cursorID, "id", opts)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return toPage(rows, opts, cursorID, func(r *versionRow) string { return r.ID },
		func(r *versionRow) (release.VersionEntry, error) { return r.toEntry(), nil })
}
