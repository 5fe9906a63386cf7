package oci

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/stella-ops/stella/sbom"
)

// files is a Cataloger that reports every regular file of a view as a
// package named after the file, its content the version, the file its
// evidence (with a leading "/", as some engines write) and its artifact.
type files struct{}

func (files) Info() sbom.CatalogerInfo {
	return sbom.CatalogerInfo{Engine: "files", Version: "v0", ConfigDigest: "sha256:" + sha256Hex("files")}
}

func (files) Catalog(_ context.Context, v sbom.View) (*sbom.Inventory, error) {
	inv := &sbom.Inventory{}
	err := filepath.WalkDir(v.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(v.Root, p)
		rel = filepath.ToSlash(rel)
		name := filepath.Base(rel)
		inv.Packages = append(inv.Packages, sbom.RawPackage{
			ID: rel, Name: name, Version: string(b), PURL: "pkg:generic/" + name + "@" + string(b), Type: "generic",
			FoundBy: "files", Locations: []sbom.Location{{Path: "/" + rel}}, ArtifactPath: rel,
		})
		return nil
	})
	return inv, err
}

func testImage(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestScanInventoriesEveryLayerPrefixWithLocationsAttributed(t *testing.T) {
	l0 := testLayer(t, entry{name: "bin/a", body: "1"}, entry{name: "bin/b", body: "1"})
	l1 := testLayer(t, entry{name: "bin/a", body: "2"}, entry{name: "bin/.wh.b"})
	cache := sbom.NewMemoryCache()
	var stages []string
	o := sbom.ScanOptions{Cataloger: files{}, Cache: cache, TempDir: t.TempDir(),
		Progress: func(stage string, done, total int) {
			if done == total {
				stages = append(stages, stage)
			}
		}}
	sc, err := FromImage("app", testImage(t, l0, l1)).Scan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := l0.DiffID()
	d1, _ := l1.DiffID()
	if len(sc.Layers) != 2 || sc.Layers[0].DiffID != d0.String() || sc.Layers[1].DiffID != d1.String() ||
		sc.Layers[1].ChainID != chainID(d0.String(), d1.String()) {
		t.Fatalf("layers = %+v", sc.Layers)
	}
	if sc.Subject.Kind != "image" || sc.Subject.Name != "app" || !strings.HasPrefix(sc.Subject.Digest, "sha256:") {
		t.Errorf("subject = %+v", sc.Subject)
	}
	if len(sc.Inventories) != 2 || len(sc.Inventories[0].Packages) != 2 || len(sc.Inventories[1].Packages) != 1 {
		t.Fatalf("inventories = %+v", sc.Inventories)
	}
	a := sc.Inventories[1].Packages[0]
	if a.Version != "2" || a.Locations[0] != (sbom.Location{Path: "bin/a", DiffID: d1.String()}) {
		t.Errorf("top prefix: %+v, want bin/a of version 2 attributed to the upper layer", a)
	}
	if b := sc.Inventories[0].Packages[1]; b.Locations[0] != (sbom.Location{Path: "bin/b", DiffID: d0.String()}) {
		t.Errorf("base prefix: %+v", b)
	}
	if len(a.Hashes) != 1 || a.Hashes[0] != (sbom.Hash{Algorithm: "SHA-256", Value: sha256Hex("2")}) {
		t.Errorf("hashes = %+v, want the artifact's computed sha256", a.Hashes)
	}
	if got := strings.Join(stages, " "); got != "resolve layers catalog" {
		t.Errorf("stages = %q", got)
	}
	// A second scan finds every prefix in the cache: nothing is unpacked.
	stages = nil
	again, err := FromImage("app", testImage(t, l0, l1)).Scan(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s := cache.Stats(); s.Hits != 2 || s.Puts != 2 || len(again.Inventories) != 2 || strings.Join(stages, " ") != "resolve" {
		t.Errorf("cached scan: stats %+v, stages %v", s, stages)
	}
}

func TestScanNeedsACataloger(t *testing.T) {
	_, err := FromImage("app", testImage(t)).Scan(context.Background(), sbom.ScanOptions{})
	if !errors.Is(err, sbom.ErrNoCataloger) {
		t.Fatalf("err = %v, want sbom.ErrNoCataloger", err)
	}
}

func TestGenerateWithAnImageSource(t *testing.T) {
	img := testImage(t, testLayer(t, entry{name: "bin/a", body: "1"}), testLayer(t, entry{name: "bin/a", body: "2"}))
	doc, err := sbom.Generate(context.Background(), FromImage("app", img), sbom.WithCataloger(files{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Layers) != 2 || len(doc.Components) != 1 || doc.Components[0].Introduced.Index != 1 || doc.Components[0].FirstSeen.Index != 0 {
		t.Fatalf("document = %+v", doc)
	}
}
