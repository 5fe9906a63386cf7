package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/sbom"
)

var _ sbom.Store = (*DB)(nil)

type sbomRow struct {
	bun.BaseModel `bun:"table:sboms,alias:s"`

	TenantID      string    `bun:"tenant_id,pk"`
	ContentDigest string    `bun:"content_digest,pk"`
	ImageDigest   string    `bun:"image_digest"`
	ImageName     string    `bun:"image_name"`
	Format        string    `bun:"format"`
	Document      []byte    `bun:"document"`
	CreatedAt     time.Time `bun:"created_at"`
}

type sbomPackageRow struct {
	bun.BaseModel `bun:"table:sbom_packages,alias:p"`

	TenantID      string `bun:"tenant_id,pk"`
	ContentDigest string `bun:"content_digest,pk"`
	Identity      string `bun:"identity,pk"`
	Type          string `bun:"type"`
	Namespace     string `bun:"namespace"`
	Name          string `bun:"name"`
	Version       string `bun:"version"`
}

// notFound matches both sbom.ErrNotFound and fault.ErrNotFound, so either
// caller's error handling recognizes it.
func sbomNotFound(key string) error {
	return fmt.Errorf("%w: %w", sbom.ErrNotFound, &fault.NotFoundError{Kind: "sbom", Key: key})
}

// PutSBOM stores a record and its packages in one transaction. A record whose
// content digest is already stored is kept as it was.
func (s *store) PutSBOM(ctx context.Context, r *sbom.Record) error {
	return s.inTxStore(ctx, func(tx *store) error {
		exists, err := tx.db.NewSelect().Model((*sbomRow)(nil)).
			Where("tenant_id = ? AND content_digest = ?", r.TenantID, r.ContentDigest).Exists(ctx)
		if err != nil || exists {
			return err
		}
		row := &sbomRow{TenantID: r.TenantID, ContentDigest: r.ContentDigest, ImageDigest: r.ImageDigest,
			ImageName: r.ImageName, Format: r.Format, Document: r.Document, CreatedAt: r.CreatedAt.UTC()}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapErr(err, ref{kind: "sbom", key: r.ImageDigest})
		}
		if len(r.Packages) == 0 {
			return nil
		}
		rows := make([]sbomPackageRow, len(r.Packages))
		for i, p := range r.Packages {
			rows[i] = sbomPackageRow{TenantID: r.TenantID, ContentDigest: r.ContentDigest, Identity: p.Identity,
				Type: p.Type, Namespace: p.Namespace, Name: p.Name, Version: p.Version}
		}
		_, err = tx.db.NewInsert().Model(&rows).Exec(ctx)
		return mapErr(err, ref{kind: "sbom package", key: r.ContentDigest})
	})
}

func (s *store) SBOMByImage(ctx context.Context, tenant, imageDigest string) (*sbom.Record, error) {
	return s.getSBOM(ctx, tenant, "image_digest", imageDigest)
}

func (s *store) SBOMByDigest(ctx context.Context, tenant, contentDigest string) (*sbom.Record, error) {
	return s.getSBOM(ctx, tenant, "content_digest", contentDigest)
}

func (s *store) getSBOM(ctx context.Context, tenant, col, value string) (*sbom.Record, error) {
	var row sbomRow
	err := s.db.NewSelect().Model(&row).Where("tenant_id = ? AND ? = ?", tenant, bun.Ident(col), value).
		OrderExpr("format DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sbomNotFound(value)
	}
	if err != nil {
		return nil, err
	}
	var pkgs []sbomPackageRow
	if err := s.db.NewSelect().Model(&pkgs).Where("tenant_id = ? AND content_digest = ?", tenant, row.ContentDigest).
		OrderExpr("identity").Scan(ctx); err != nil {
		return nil, err
	}
	r := &sbom.Record{TenantID: row.TenantID, ContentDigest: row.ContentDigest, ImageDigest: row.ImageDigest,
		ImageName: row.ImageName, Format: row.Format, Document: row.Document, CreatedAt: row.CreatedAt.UTC(),
		Packages: make([]sbom.Package, len(pkgs))}
	for i, p := range pkgs {
		r.Packages[i] = sbom.Package{Identity: p.Identity, Type: p.Type, Namespace: p.Namespace, Name: p.Name, Version: p.Version}
	}
	return r, nil
}

// SearchPackages finds packages by type, namespace and name across the
// tenant's SBOMs, sorted by identity then content digest.
func (s *store) SearchPackages(ctx context.Context, tenant string, q sbom.PackageQuery) ([]sbom.PackageHit, error) {
	var rows []struct {
		sbomPackageRow `bun:",extend"`
		ImageDigest    string `bun:"image_digest"`
	}
	sel := s.db.NewSelect().Model(&rows).
		ColumnExpr("p.*, s.image_digest").
		Join("JOIN sboms AS s ON s.tenant_id = p.tenant_id AND s.content_digest = p.content_digest").
		Where("p.tenant_id = ?", tenant)
	for _, c := range []struct{ col, value string }{{"p.type", q.Type}, {"p.name", q.Name}, {"p.namespace", q.Namespace}} {
		if c.value != "" {
			sel = sel.Where("? = ?", bun.Safe(c.col), c.value)
		}
	}
	if err := sel.OrderExpr("p.identity, p.content_digest").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]sbom.PackageHit, len(rows))
	for i, r := range rows {
		out[i] = sbom.PackageHit{ContentDigest: r.ContentDigest, ImageDigest: r.ImageDigest,
			Package: sbom.Package{Identity: r.Identity, Type: r.Type, Namespace: r.Namespace, Name: r.Name, Version: r.Version}}
	}
	return out, nil
}
