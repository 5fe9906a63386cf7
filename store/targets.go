package store

import (
	"context"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

type targetRow struct {
	bun.BaseModel `bun:"table:targets"`

	TenantID          string     `bun:"tenant_id,pk"`
	ID                string     `bun:"id,pk"`
	Name              string     `bun:"name"`
	EnvironmentID     string     `bun:"environment_id"`
	Type              string     `bun:"type"`
	Labels            string     `bun:"labels"`
	Connection        string     `bun:"connection"`
	SecretKeys        string     `bun:"secret_keys"`
	Sealed            []byte     `bun:"sealed"`
	AgentID           string     `bun:"agent_id"`
	HealthStatus      string     `bun:"health_status"`
	LastHealthCheckAt *time.Time `bun:"last_health_check_at"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
	Version           int        `bun:"version"`
}

func targetToRow(t *release.Target) (*targetRow, error) {
	r := &targetRow{
		TenantID: t.TenantID, ID: t.ID, Name: t.Name, EnvironmentID: t.EnvironmentID,
		Type: string(t.Type), Sealed: t.Sealed, AgentID: t.AgentID, HealthStatus: string(t.HealthStatus),
		LastHealthCheckAt: utcPtr(t.LastHealthCheckAt),
		CreatedAt:         t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(), Version: t.Version,
	}
	var j jsonColumns
	j.put(&r.Labels, nonNilMap(t.Labels))
	j.put(&r.Connection, nonNilMap(t.Connection))
	j.put(&r.SecretKeys, nonNilSlice(t.SecretKeys))
	return r, j.err
}

func (r *targetRow) toTarget() (release.Target, error) {
	t := release.Target{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, EnvironmentID: r.EnvironmentID,
		Type: release.TargetType(r.Type), Sealed: r.Sealed, AgentID: r.AgentID,
		HealthStatus: release.Health(r.HealthStatus), LastHealthCheckAt: utcPtr(r.LastHealthCheckAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	var j jsonColumns
	j.get(r.Labels, &t.Labels)
	j.get(r.Connection, &t.Connection)
	j.get(r.SecretKeys, &t.SecretKeys)
	t.Labels, t.Connection, t.SecretKeys = nonNilMap(t.Labels), nonNilMap(t.Connection), nonNilSlice(t.SecretKeys)
	return t, j.err
}

func targetRef(t *release.Target) ref {
	return ref{kind: "target", key: t.Name,
		missing: &fault.NotFoundError{Kind: "environment", Key: t.EnvironmentID}}
}

func (s *store) CreateTarget(ctx context.Context, t *release.Target) error {
	row, err := targetToRow(t)
	if err != nil {
		return err
	}
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, targetRef(t))
}

func (s *store) UpdateTarget(ctx context.Context, t *release.Target) error {
	row, err := targetToRow(t)
	if err != nil {
		return err
	}
	return s.updateVersioned(ctx, row, "targets", t.TenantID, t.ID, t.Version, targetRef(t))
}

func (s *store) GetTarget(ctx context.Context, tenant, key string) (*release.Target, error) {
	var row targetRow
	if err := whereKey(s.db.NewSelect().Model(&row), tenant, key).Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "target", key: key})
	}
	t, err := row.toTarget()
	return &t, err
}

func (s *store) ListTargets(ctx context.Context, tenant string, f release.TargetFilter, opts release.ListOptions) (*release.Page[release.Target], error) {
	var rows []targetRow
	q := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant)
	if f.EnvironmentID != "" {
		q = q.Where("environment_id = ?", f.EnvironmentID)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.NameContains != "" {
		q = q.Where(s.contains("name", f.NameContains))
	}
	keys := make([]string, 0, len(f.Label))
	for k := range f.Label {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable query text for the same filter
	for _, k := range keys {
		q = q.Where(s.labelIs(), k, f.Label[k])
	}
	return pageByName(ctx, q, &rows, opts, func(r *targetRow) string { return r.Name }, (*targetRow).toTarget)
}

// labelIs matches targets whose label (first argument) has a value (second).
func (s *store) labelIs() string {
	if s.dialect == DialectPostgres {
		return "(labels::jsonb ->> ?) = ?"
	}
	// json_each compares the key as a whole, so dots and slashes in label
	// names ("app.kubernetes.io/name") are not read as JSON path steps.
	return "EXISTS (SELECT 1 FROM json_each(labels) WHERE json_each.key = ? AND json_each.value = ?)"
}

func (s *store) DeleteTarget(ctx context.Context, tenant, id string) error {
	return s.deleteRow(ctx, "targets", tenant, id, ref{kind: "target", key: id})
}
