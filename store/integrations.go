package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

type integrationRow struct {
	bun.BaseModel `bun:"table:integrations"`

	TenantID          string     `bun:"tenant_id,pk"`
	ID                string     `bun:"id,pk"`
	Name              string     `bun:"name"`
	Type              string     `bun:"type"`
	Config            string     `bun:"config"`
	Sealed            []byte     `bun:"sealed"`
	HealthStatus      string     `bun:"health_status"`
	LastHealthCheckAt *time.Time `bun:"last_health_check_at"`
	LastHealthMessage string     `bun:"last_health_message"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
	Version           int        `bun:"version"`
}

func integrationToRow(i *release.Integration) (*integrationRow, error) {
	r := &integrationRow{
		TenantID: i.TenantID, ID: i.ID, Name: i.Name, Type: i.Type, Sealed: i.Sealed,
		HealthStatus: string(i.HealthStatus), LastHealthCheckAt: utcPtr(i.LastHealthCheckAt),
		LastHealthMessage: i.LastHealthMessage,
		CreatedAt:         i.CreatedAt.UTC(), UpdatedAt: i.UpdatedAt.UTC(), Version: i.Version,
	}
	cfg := i.Config
	cfg.Headers = nonNilMap(cfg.Headers)
	var j jsonColumns
	j.put(&r.Config, cfg)
	return r, j.err
}

// toIntegration derives HasCredential from the sealed bytes, so that it can
// never disagree with what is stored.
func (r *integrationRow) toIntegration() (release.Integration, error) {
	i := release.Integration{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, Type: r.Type,
		HasCredential: len(r.Sealed) > 0, Sealed: r.Sealed,
		HealthStatus: release.Health(r.HealthStatus), LastHealthCheckAt: utcPtr(r.LastHealthCheckAt),
		LastHealthMessage: r.LastHealthMessage,
		CreatedAt:         r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	var j jsonColumns
	j.get(r.Config, &i.Config)
	i.Config.Headers = nonNilMap(i.Config.Headers)
	return i, j.err
}

func integrationRef(i *release.Integration) ref { return ref{kind: "integration", key: i.Name} }

func (s *store) CreateIntegration(ctx context.Context, i *release.Integration) error {
	row, err := integrationToRow(i)
	if err != nil {
		return err
	}
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, integrationRef(i))
}

func (s *store) UpdateIntegration(ctx context.Context, i *release.Integration) error {
	row, err := integrationToRow(i)
	if err != nil {
		return err
	}
	return s.updateVersioned(ctx, row, "integrations", i.TenantID, i.ID, i.Version, integrationRef(i))
}

func (s *store) GetIntegration(ctx context.Context, tenant, key string) (*release.Integration, error) {
	var row integrationRow
	if err := whereKey(s.db.NewSelect().Model(&row), tenant, key).Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "integration", key: key})
	}
	i, err := row.toIntegration()
	return &i, err
}

func (s *store) ListIntegrations(ctx context.Context, tenant string, f release.IntegrationFilter, opts release.ListOptions) (*release.Page[release.Integration], error) {
	var rows []integrationRow
	q := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant)
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.Category != "" {
		prefix := f.Category + "."
		q = q.Where("substr(type, 1, ?) = ?", len(prefix), prefix)
	}
	if f.NameContains != "" {
		q = q.Where(s.contains("name", f.NameContains))
	}
	return pageByName(ctx, q, &rows, opts, func(r *integrationRow) string { return r.Name }, (*integrationRow).toIntegration)
}

func (s *store) DeleteIntegration(ctx context.Context, tenant, id string) error {
	return s.deleteRow(ctx, "integrations", tenant, id, ref{kind: "integration", key: id,
		inUse: &fault.ConflictError{Kind: "integration", Key: id, Reason: "is still used by components"}})
}

func (s *store) LastIntegrationOfType(ctx context.Context, tenant, typ string) (*release.Integration, error) {
	var row integrationRow
	err := s.db.NewSelect().Model(&row).
		Where("tenant_id = ? AND type = ?", tenant, typ).
		OrderExpr("id DESC"). // UUIDv7: the newest first
		Limit(1).Scan(ctx)
	if err != nil {
		return nil, mapErr(err, ref{kind: "integration", key: typ})
	}
	i, err := row.toIntegration()
	return &i, err
}

func (s *store) IntegrationUsage(ctx context.Context, tenant, id string) (int, error) {
	n, err := s.db.NewSelect().Table("components").
		Where("tenant_id = ? AND registry_integration_id = ?", tenant, id).
		Count(ctx)
	return int(n), err
}
