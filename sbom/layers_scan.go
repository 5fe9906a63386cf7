package sbom

import (
	"context"
	"fmt"
	"os"
	"time"
)

// scanImage inventories every layer prefix of an image, attributes the final
// components to layers and composes them (sbom.md §2–§5). Prefixes found in
// the cache are not cataloged; layers are unpacked only up to the highest
// prefix that must be. It returns the image's creation time.
func scanImage(ctx context.Context, cfg *config, ri *resolvedImage, doc *Document) (time.Time, error) {
	cf, err := ri.img.ConfigFile()
	if err != nil {
		return time.Time{}, fmt.Errorf("sbom: image config: %w", err)
	}
	layers, err := enumerateLayers(ri.img, cf)
	if err != nil {
		return time.Time{}, fmt.Errorf("sbom: %w", err)
	}
	for _, l := range layers {
		doc.Layers = append(doc.Layers, l.Layer)
	}
	invs, err := prefixInventories(ctx, cfg, ri, layers)
	if err != nil {
		return time.Time{}, err
	}
	if len(layers) > 0 {
		cfg.report("compose", 0, 1)
		sets := make([]componentSet, len(invs))
		for i, inv := range invs {
			sets[i] = inventoryComponents(inv)
		}
		top := sets[len(sets)-1]
		attribute(top.components, sets, layers)
		doc.Components = top.components
		doc.Dependencies = top.dependencies
		doc.Warnings = invs[len(invs)-1].Warnings
		if err := Normalize(doc); err != nil {
			return time.Time{}, err
		}
		comp, err := Compose(doc)
		if err != nil {
			return time.Time{}, err
		}
		digest, err := comp.Digest()
		if err != nil {
			return time.Time{}, err
		}
		doc.Properties = append(doc.Properties,
			Property{Name: PropMerkleRoot, Value: comp.MerkleRoot},
			Property{Name: PropComposition, Value: digest})
		cfg.report("compose", 1, 1)
	}
	return cf.Created.Time, nil
}

// prefixInventories returns inv(i) for every prefix 0..i, from the cache or
// by unpacking layers into one directory and cataloging it after each layer.
func prefixInventories(ctx context.Context, cfg *config, ri *resolvedImage, layers []imageLayer) ([]*Inventory, error) {
	info := cfg.cataloger.Info()
	invs := make([]*Inventory, len(layers))
	keys := make([]string, len(layers))
	lastMiss := -1
	for i, l := range layers {
		key, err := CacheKey(l.ChainID, info)
		if err != nil {
			return nil, err
		}
		keys[i] = key
		if cfg.cache != nil {
			inv, ok, err := cfg.cache.Get(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("sbom: cache: %w", err)
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
	if ic, ok := cfg.cataloger.(ImageCataloger); ok {
		return catalogPrefixes(ctx, cfg, ic, ri, layers, invs, keys)
	}
	dir, err := os.MkdirTemp(cfg.tempDir, "stella-rootfs-")
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	defer os.RemoveAll(dir)
	fsys, err := newRootfs(dir)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	defer fsys.close()
	for i := 0; i <= lastMiss; i++ {
		cfg.report("layers", i, lastMiss+1)
		if err := fsys.apply(ctx, layers[i], ri.blobs); err != nil {
			return nil, fmt.Errorf("sbom: unpack %s: %w", layers[i].DiffID, err)
		}
		if invs[i] != nil {
			continue
		}
		cfg.report("catalog", i, lastMiss+1)
		inv, err := cfg.cataloger.Catalog(ctx, View{Kind: ViewImage, Root: dir})
		if err != nil {
			return nil, fmt.Errorf("sbom: catalog layers 0..%d (chainID %s): %w", i, layers[i].ChainID, err)
		}
		fsys.attributeLocations(inv, layers)
		addComputedHashes(inv, dir, "")
		if cfg.cache != nil {
			if err := cfg.cache.Put(ctx, keys[i], inv); err != nil {
				return nil, fmt.Errorf("sbom: cache: %w", err)
			}
		}
		invs[i] = inv
	}
	cfg.report("layers", lastMiss+1, lastMiss+1)
	cfg.report("catalog", lastMiss+1, lastMiss+1)
	return invs, nil
}

// catalogPrefixes has an ImageCataloger inventory the prefixes missing from
// invs, and caches what it returns.
func catalogPrefixes(ctx context.Context, cfg *config, ic ImageCataloger, ri *resolvedImage, layers []imageLayer, invs []*Inventory, keys []string) ([]*Inventory, error) {
	var missing []int
	for i, inv := range invs {
		if inv == nil {
			missing = append(missing, i)
		}
	}
	cfg.report("catalog", 0, len(missing))
	got, err := ic.CatalogPrefixes(ctx, ri.img, missing)
	if err != nil {
		return nil, fmt.Errorf("sbom: catalog image layers: %w", err)
	}
	if len(got) != len(missing) {
		return nil, fmt.Errorf("sbom: cataloger returned %d inventories for %d layer prefixes", len(got), len(missing))
	}
	for k, i := range missing {
		for j := range got[k].Packages {
			for l := range got[k].Packages[j].Locations {
				loc := &got[k].Packages[j].Locations[l]
				loc.Path = CleanPath(loc.Path)
			}
		}
		if cfg.cache != nil {
			if err := cfg.cache.Put(ctx, keys[i], got[k]); err != nil {
				return nil, fmt.Errorf("sbom: cache: %w", err)
			}
		}
		invs[i] = got[k]
	}
	cfg.report("catalog", len(missing), len(missing))
	return invs, nil
}

// attributeLocations sets, on every evidence location, the diffID of the
// layer that wrote the file.
func (r *rootfs) attributeLocations(inv *Inventory, layers []imageLayer) {
	diffID := func(p string) string {
		if i, ok := r.owner[CleanPath(p)]; ok {
			return layers[i].DiffID
		}
		// A path reached through a symbolic link: attribute the real file.
		if real, err := r.resolve(CleanPath(p)); err == nil {
			if i, ok := r.owner[real]; ok {
				return layers[i].DiffID
			}
		}
		return ""
	}
	for i := range inv.Packages {
		for j := range inv.Packages[i].Locations {
			loc := &inv.Packages[i].Locations[j]
			loc.Path = CleanPath(loc.Path)
			loc.DiffID = diffID(loc.Path)
		}
	}
	if inv.OS != nil && inv.OS.Path != "" {
		inv.OS.Path = CleanPath(inv.OS.Path)
		inv.OS.DiffID = diffID(inv.OS.Path)
	}
}
