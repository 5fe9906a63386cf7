package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/stella-ops/stella/advisory/version"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/tenant"
)

// ImageScanner makes the SBOM record of one image, pulled by digest.
type ImageScanner interface {
	Scan(ctx context.Context, image string, access *release.RegistryAccess) (*sbom.Record, error)
}

// releaseSBOMs pairs each component of a release with its stored SBOM, if any.
func (r *Resolver) releaseSBOMs(ctx context.Context, rel *release.Release) ([]model.ReleaseSbom, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.ReleaseSbom, 0, len(rel.Components))
	for _, c := range rel.Components {
		item := model.ReleaseSbom{Component: c.Name, ImageDigest: c.Digest}
		rec, err := r.SBOMs.SBOMByImage(ctx, sc.Tenant, c.Digest)
		switch {
		case err == nil:
			item.Sbom = rec
		case !errors.Is(err, sbom.ErrNotFound):
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}

// scanRelease makes the SBOM of every image of a release that has none yet.
// SBOMs are content-addressed per image digest, so an image shared by several
// releases is scanned once.
func (r *Resolver) scanRelease(ctx context.Context, key string) (*model.ScanResult, error) {
	if r.Scanner == nil {
		return nil, errors.New("this server has no SBOM scanner configured")
	}
	rel, err := r.Catalog.Release(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(rel.Components) == 0 {
		return nil, fieldError("key", "release %q has no components to scan", rel.Name)
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	res := &model.ScanResult{Release: rel}
	for _, c := range rel.Components {
		if _, err := r.SBOMs.SBOMByImage(ctx, sc.Tenant, c.Digest); err == nil {
			res.Reused++
			continue
		} else if !errors.Is(err, sbom.ErrNotFound) {
			return nil, err
		}
		access, err := r.Catalog.RegistryAccess(ctx, c.ComponentID)
		if err != nil {
			return nil, fmt.Errorf("component %q: %w", c.Name, err)
		}
		rec, err := r.Scanner.Scan(ctx, c.Ref(), access)
		if err != nil {
			return nil, fmt.Errorf("scanning %s: %w", c.Ref(), err)
		}
		rec.TenantID = sc.Tenant
		if err := r.write(ctx, func(tx Tx) (*audit, error) {
			if err := tx.PutSBOM(ctx, rec); err != nil {
				return nil, err
			}
			return &audit{action: "sbom.create", entityType: "sbom", entityID: rec.ContentDigest, after: map[string]string{
				"contentDigest": rec.ContentDigest, "imageDigest": rec.ImageDigest, "format": rec.Format}}, nil
		}); err != nil {
			return nil, err
		}
		res.Scanned++
	}
	res.Sboms, err = r.releaseSBOMs(ctx, rel)
	return res, err
}

// packageSearch finds packages by purl, optionally below a version in the
// version scheme of the purl type, with the releases that pin each image.
func (r *Resolver) packageSearch(ctx context.Context, purl string, below *string) ([]sbom.PackageHit, error) {
	q, err := sbom.ParsePackageQuery(purl)
	if err != nil {
		return nil, fieldError("purl", "%v", err)
	}
	var bound version.Version
	var scheme version.Scheme
	if below != nil {
		if scheme, err = version.ForEcosystem(q.Type); err != nil {
			return nil, fieldError("versionBelow", "purl type %q has no version ordering", q.Type)
		}
		if bound, err = scheme.Parse(*below); err != nil {
			return nil, fieldError("versionBelow", "%v", err)
		}
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	hits, err := r.SBOMs.SearchPackages(ctx, sc.Tenant, q)
	if err != nil || below == nil {
		return hits, err
	}
	kept := hits[:0]
	for _, h := range hits {
		// A version the scheme cannot read is kept: it is not known to be
		// at or above the bound.
		if v, err := scheme.Parse(h.Version); err != nil || version.CompareBound(scheme, v, bound) < 0 {
			kept = append(kept, h)
		}
	}
	return kept, nil
}
