package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

type componentRow struct {
	bun.BaseModel `bun:"table:components"`

	TenantID              string    `bun:"tenant_id,pk"`
	ID                    string    `bun:"id,pk"`
	Name                  string    `bun:"name"`
	DisplayName           string    `bun:"display_name"`
	ImageRepository       string    `bun:"image_repository"`
	RegistryIntegrationID string    `bun:"registry_integration_id"`
	Versioning            string    `bun:"versioning"`
	DefaultChannel        string    `bun:"default_channel"`
	DeploymentTemplate    string    `bun:"deployment_template"`
	Metadata              string    `bun:"metadata"`
	CreatedAt             time.Time `bun:"created_at"`
	UpdatedAt             time.Time `bun:"updated_at"`
	Version               int       `bun:"version"`
}

func componentToRow(c *release.Component) (*componentRow, error) {
	r := &componentRow{
		TenantID: c.TenantID, ID: c.ID, Name: c.Name, DisplayName: c.DisplayName,
		ImageRepository: c.ImageRepository, RegistryIntegrationID: c.RegistryIntegrationID,
		DefaultChannel: c.DefaultChannel, DeploymentTemplate: c.DeploymentTemplate,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version,
	}
	var j jsonColumns
	j.put(&r.Versioning, c.Versioning)
	j.put(&r.Metadata, nonNilMap(c.Metadata))
	return r, j.err
}

func (r *componentRow) toComponent() (release.Component, error) {
	c := release.Component{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, DisplayName: r.DisplayName,
		ImageRepository: r.ImageRepository, RegistryIntegrationID: r.RegistryIntegrationID,
		DefaultChannel: r.DefaultChannel, DeploymentTemplate: r.DeploymentTemplate,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	var j jsonColumns
	j.get(r.Versioning, &c.Versioning)
	j.get(r.Metadata, &c.Metadata)
	c.Metadata = nonNilMap(c.Metadata)
	return c, j.err
}

func (s *store) CreateComponent(ctx context.Context, c *release.Component) error {
	row, err := componentToRow(c)
	if err != nil {
		return err
	}
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, ref{kind: "component", key: c.Name,
		missing: &fault.NotFoundError{Kind: "integration", Key: c.RegistryIntegrationID}})
}

func (s *store) UpdateComponent(ctx context.Context, c *release.Component) error {
	row, err := componentToRow(c)
	if err != nil {
		return err
	}
	return s.updateVersioned(ctx, row, "components", c.TenantID, c.ID, c.Version, ref{kind: "component", key: c.Name})
}

func (s *store) GetComponent(ctx context.Context, tenant, key string) (*release.Component, error) {
	var row componentRow
	if err := whereKey(s.db.NewSelect().Model(&row), tenant, key).Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "component", key: key})
	}
	c, err := row.toComponent()
	return &c, err
}

func (s *store) ListComponents(ctx context.Context, tenant string, f release.ComponentFilter, opts release.ListOptions) (*release.Page[release.Component], error) {
	var rows []componentRow
	q := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant)
	if f.RegistryIntegrationID != "" {
		q = q.Where("registry_integration_id = ?", f.RegistryIntegrationID)
	}
	if f.NameContains != "" {
		q = q.Where(s.contains("name", f.NameContains))
	}
	return pageByName(ctx, q, &rows, opts, func(r *componentRow) string { return r.Name }, (*componentRow).toComponent)
}

func (s *store) DeleteComponent(ctx context.Context, tenant, id string) error {
	return s.deleteRow(ctx, "components", tenant, id, ref{kind: "component", key: id})
}

// ComponentUsage counts the releases that pin a component.
func (s *store) ComponentUsage(ctx context.Context, tenant, id string) (int, error) {
	var n int
	err := s.db.NewSelect().TableExpr("release_components").
		ColumnExpr("count(DISTINCT release_id)").
		Where("tenant_id = ? AND component_id = ?", tenant, id).
		Scan(ctx, &n)
	return n, err
}
