package oci

import (
	"context"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
)

// PrefixCataloger is a sbom.Cataloger that inventories the layer prefixes
// of an image itself, reading layers in place, so that a scan need not unpack
// them into a directory (which costs an inode per file). The sources of this
// package use it when the Cataloger implements it; sbom/syft does.
type PrefixCataloger interface {
	sbom.Cataloger
	// CatalogPrefixes returns inv(i), the inventory of the squashed
	// filesystem of layers 0..i, for each i of prefixes (ascending), in that
	// order. Every location carries the diffID of the layer holding the
	// file, and artifact hashes follow sbom.ArtifactHash.
	CatalogPrefixes(ctx context.Context, img v1.Image, prefixes []int) ([]*sbom.Inventory, error)
}

// cacheKey is sha256(JCS{chainID, engineVersion, configDigest}): the key of
// a layer prefix's inventory in a sbom.Cache.
func cacheKey(chainID string, info sbom.CatalogerInfo) (string, error) {
	return canon.Digest(map[string]string{
		"chainID":       chainID,
		"engineVersion": info.Engine + "@" + info.Version,
		"configDigest":  info.ConfigDigest,
	})
}

// opener is a source of this package: it resolves to one image.
type opener interface {
	fmt.Stringer
	open(ctx context.Context, o sbom.ScanOptions) (*target, error)
}

// scan resolves src and inventories every layer prefix of its image.
func scan(ctx context.Context, src opener, o sbom.ScanOptions) (*sbom.Scanned, error) {
	if o.Cataloger == nil {
		return nil, sbom.ErrNoCataloger
	}
	if o.Platform == "" {
		o.Platform = sbom.DefaultPlatform
	}
	if o.Progress == nil {
		o.Progress = func(string, int, int) {}
	}
	o.Progress("resolve", 0, 1)
	t, err := src.open(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("oci: open %s: %w", src, err)
	}
	defer t.close()
	o.Progress("resolve", 1, 1)
	return scanImage(ctx, o, t)
}

// scanImage enumerates the layers of an opened image and inventories every
// layer prefix (sbom.md §2); sbom.Generate attributes and composes them.
func scanImage(ctx context.Context, o sbom.ScanOptions, t *target) (*sbom.Scanned, error) {
	cf, err := t.img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("oci: image config: %w", err)
	}
	layers, err := enumerateLayers(t.img, cf)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	invs, err := prefixInventories(ctx, o, t, layers)
	if err != nil {
		return nil, err
	}
	sc := &sbom.Scanned{Subject: t.subject, Created: cf.Created.Time, Inventories: invs}
	for _, l := range layers {
		sc.Layers = append(sc.Layers, l.Layer)
	}
	return sc, nil
}

// prefixInventories returns inv(i) for every prefix 0..i, from the cache or
// by unpacking layers into one directory and cataloging it after each layer.
// Prefixes found in the cache are not cataloged; layers are unpacked only up
// to the highest prefix that must be.
func prefixInventories(ctx context.Context, o sbom.ScanOptions, t *target, layers []imageLayer) ([]*sbom.Inventory, error) {
	info := o.Cataloger.Info()
	invs := make([]*sbom.Inventory, len(layers))
	keys := make([]string, len(layers))
	lastMiss := -1
	for i, l := range layers {
		key, err := cacheKey(l.ChainID, info)
		if err != nil {
			return nil, err
		}
		keys[i] = key
		if o.Cache != nil {
			inv, ok, err := o.Cache.Get(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("oci: cache: %w", err)
			}
			if ok {
				invs[i] = inv
				continue
			}
		}
		lastMiss = i
	}
	if lastMiss < 0 {
		return invs, nil
	}
	if pc, ok := o.Cataloger.(PrefixCataloger); ok {
		return catalogPrefixes(ctx, o, pc, t, invs, keys)
	}
	dir, err := os.MkdirTemp(o.TempDir, "stella-rootfs-")
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	defer os.RemoveAll(dir)
	fsys, err := newRootfs(dir)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	defer fsys.close()
	view := sbom.View{Kind: sbom.ViewImage, Root: dir}
	for i := 0; i <= lastMiss; i++ {
		o.Progress("layers", i, lastMiss+1)
		if err := fsys.apply(ctx, layers[i], t.blobs); err != nil {
			return nil, fmt.Errorf("oci: unpack %s: %w", layers[i].DiffID, err)
		}
		if invs[i] != nil {
			continue
		}
		o.Progress("catalog", i, lastMiss+1)
		inv, err := o.Cataloger.Catalog(ctx, view)
		if err != nil {
			return nil, fmt.Errorf("oci: catalog layers 0..%d (chainID %s): %w", i, layers[i].ChainID, err)
		}
		if inv == nil {
			return nil, fmt.Errorf("oci: catalog layers 0..%d (chainID %s): the cataloger returned no inventory", i, layers[i].ChainID)
		}
		fsys.attributeLocations(inv, layers)
		inv.HashArtifacts(view)
		if o.Cache != nil {
			if err := o.Cache.Put(ctx, keys[i], inv); err != nil {
				return nil, fmt.Errorf("oci: cache: %w", err)
			}
		}
		invs[i] = inv
	}
	o.Progress("layers", lastMiss+1, lastMiss+1)
	o.Progress("catalog", lastMiss+1, lastMiss+1)
	return invs, nil
}

// catalogPrefixes has a PrefixCataloger inventory the prefixes missing from
// invs, and caches what it returns.
func catalogPrefixes(ctx context.Context, o sbom.ScanOptions, pc PrefixCataloger, t *target, invs []*sbom.Inventory, keys []string) ([]*sbom.Inventory, error) {
	var missing []int
	for i, inv := range invs {
		if inv == nil {
			missing = append(missing, i)
		}
	}
	o.Progress("catalog", 0, len(missing))
	got, err := pc.CatalogPrefixes(ctx, t.img, missing)
	if err != nil {
		return nil, fmt.Errorf("oci: catalog image layers: %w", err)
	}
	if len(got) != len(missing) {
		return nil, fmt.Errorf("oci: cataloger returned %d inventories for %d layer prefixes", len(got), len(missing))
	}
	for k, i := range missing {
		if got[k] == nil {
			return nil, fmt.Errorf("oci: cataloger returned no inventory for layers 0..%d", i)
		}
		for j := range got[k].Packages {
			for l := range got[k].Packages[j].Locations {
				loc := &got[k].Packages[j].Locations[l]
				loc.Path = sbom.CleanPath(loc.Path)
			}
		}
		if o.Cache != nil {
			if err := o.Cache.Put(ctx, keys[i], got[k]); err != nil {
				return nil, fmt.Errorf("oci: cache: %w", err)
			}
		}
		invs[i] = got[k]
	}
	o.Progress("catalog", len(missing), len(missing))
	return invs, nil
}

// attributeLocations sets, on every evidence location, the diffID of the
// layer that wrote the file.
func (r *rootfs) attributeLocations(inv *sbom.Inventory, layers []imageLayer) {
	diffID := func(p string) string {
		if i, ok := r.owner[sbom.CleanPath(p)]; ok {
			return layers[i].DiffID
		}
		// A path reached through a symbolic link: attribute the real file.
		if real, err := r.resolve(sbom.CleanPath(p)); err == nil {
			if i, ok := r.owner[real]; ok {
				return layers[i].DiffID
			}
		}
		return ""
	}
	for i := range inv.Packages {
		for j := range inv.Packages[i].Locations {
			loc := &inv.Packages[i].Locations[j]
			loc.Path = sbom.CleanPath(loc.Path)
			loc.DiffID = diffID(loc.Path)
		}
	}
	if inv.OS != nil && inv.OS.Path != "" {
		inv.OS.Path = sbom.CleanPath(inv.OS.Path)
		inv.OS.DiffID = diffID(inv.OS.Path)
	}
}
