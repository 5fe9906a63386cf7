package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

type environmentRow struct {
	bun.BaseModel `bun:"table:environments"`

	TenantID                   string    `bun:"tenant_id,pk"`
	ID                         string    `bun:"id,pk"`
	Name                       string    `bun:"name"`
	DisplayName                string    `bun:"display_name"`
	OrderIndex                 int       `bun:"order_index"`
	Tier                       string    `bun:"tier"`
	RequiredApprovals          int       `bun:"required_approvals"`
	ApproverGroups             string    `bun:"approver_groups"`
	RequireSeparationOfDuties  bool      `bun:"require_separation_of_duties"`
	RequirePreviousEnvironment bool      `bun:"require_previous_environment"`
	AutoPromoteFrom            string    `bun:"auto_promote_from"`
	FreezeWindows              string    `bun:"freeze_windows"`
	Config                     string    `bun:"config"`
	Compliance                 string    `bun:"compliance"`
	CreatedAt                  time.Time `bun:"created_at"`
	UpdatedAt                  time.Time `bun:"updated_at"`
	Version                    int       `bun:"version"`
}

func environmentToRow(e *release.Environment) (*environmentRow, error) {
	r := &environmentRow{
		TenantID: e.TenantID, ID: e.ID, Name: e.Name, DisplayName: e.DisplayName,
		OrderIndex: e.OrderIndex, Tier: string(e.Tier), RequiredApprovals: e.RequiredApprovals,
		RequireSeparationOfDuties:  e.RequireSeparationOfDuties,
		RequirePreviousEnvironment: e.RequirePreviousEnvironment,
		AutoPromoteFrom:            e.AutoPromoteFrom, Compliance: e.Compliance,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), Version: e.Version,
	}
	var j jsonColumns
	j.put(&r.ApproverGroups, nonNilSlice(e.ApproverGroups))
	j.put(&r.FreezeWindows, nonNilSlice(e.FreezeWindows))
	j.put(&r.Config, e.Config)
	return r, j.err
}

func (r *environmentRow) toEnvironment() (release.Environment, error) {
	e := release.Environment{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, DisplayName: r.DisplayName,
		OrderIndex: r.OrderIndex, Tier: release.Tier(r.Tier), RequiredApprovals: r.RequiredApprovals,
		RequireSeparationOfDuties:  r.RequireSeparationOfDuties,
		RequirePreviousEnvironment: r.RequirePreviousEnvironment,
		AutoPromoteFrom:            r.AutoPromoteFrom, Compliance: r.Compliance,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	var j jsonColumns
	j.get(r.ApproverGroups, &e.ApproverGroups)
	j.get(r.FreezeWindows, &e.FreezeWindows)
	j.get(r.Config, &e.Config)
	e.ApproverGroups = nonNilSlice(e.ApproverGroups)
	e.FreezeWindows = nonNilSlice(e.FreezeWindows)
	e.Config.Variables = nonNilMap(e.Config.Variables)
	e.Config.SecretRefs = nonNilSlice(e.Config.SecretRefs)
	e.Config.AgentLabels = nonNilSlice(e.Config.AgentLabels)
	return e, j.err
}

func environmentRef(e *release.Environment) ref {
	return ref{kind: "environment", key: e.Name, clash: map[string]string{
		"order_index": fmt.Sprintf("orderIndex %d is already used by another environment", e.OrderIndex),
	}}
}

func (s *store) CreateEnvironment(ctx context.Context, e *release.Environment) error {
	row, err := environmentToRow(e)
	if err != nil {
		return err
	}
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, environmentRef(e))
}

func (s *store) UpdateEnvironment(ctx context.Context, e *release.Environment) error {
	row, err := environmentToRow(e)
	if err != nil {
		return err
	}
	return s.updateVersioned(ctx, row, "environments", e.TenantID, e.ID, e.Version, environmentRef(e))
}

func (s *store) GetEnvironment(ctx context.Context, tenant, key string) (*release.Environment, error) {
	var row environmentRow
	if err := whereKey(s.db.NewSelect().Model(&row), tenant, key).Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "environment", key: key})
	}
	e, err := row.toEnvironment()
	return &e, err
}

func (s *store) ListEnvironments(ctx context.Context, tenant string, opts release.ListOptions) (*release.Page[release.Environment], error) {
	var rows []environmentRow
	q, err := keyset(s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant), cursorOrder, "order_index", opts)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return toPage(rows, opts, cursorOrder,
		func(r *environmentRow) string { return strconv.Itoa(r.OrderIndex) },
		(*environmentRow).toEnvironment)
}

func (s *store) DeleteEnvironment(ctx context.Context, tenant, id string) error {
	return s.deleteRow(ctx, "environments", tenant, id, ref{kind: "environment", key: id,
		inUse: &fault.ConflictError{Kind: "environment", Key: id, Reason: "still has targets or current releases"}})
}

func (s *store) EnvironmentUsage(ctx context.Context, tenant, id string) (release.Usage, error) {
	var u release.Usage
	err := s.db.NewSelect().
		ColumnExpr("(SELECT count(*) FROM targets WHERE tenant_id = ? AND environment_id = ?)", tenant, id).
		ColumnExpr("(SELECT count(*) FROM environment_current_releases WHERE tenant_id = ? AND environment_id = ?)", tenant, id).
		Scan(ctx, &u.Targets, &u.CurrentReleases)
	return u, err
}
