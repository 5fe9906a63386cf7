package syft

import (
	"context"
	"fmt"

	stfile "github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/image"
	anchore "github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/stereoscopesource"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/oci"
)

var _ oci.PrefixCataloger = (*Cataloger)(nil)

// CatalogPrefixes inventories layer prefixes of img. Stereoscope (syft's
// image library) reads the image once: each layer's tar is indexed in place
// rather than unpacked, and the squashed tree of every prefix is kept. Each
// requested prefix is then cataloged from a view of the image cut at that
// layer, so locations name the diffID of the layer holding each file.
func (c *Cataloger) CatalogPrefixes(ctx context.Context, img v1.Image, prefixes []int) ([]*sbom.Inventory, error) {
	tmp := stfile.NewTempDirGenerator("stella-syft")
	defer tmp.Cleanup()
	cacheDir, err := tmp.NewDirectory("layers")
	if err != nil {
		return nil, fmt.Errorf("syft: %w", err)
	}
	simg := image.New(img, tmp, cacheDir)
	defer simg.Cleanup()
	if err := simg.Read(ctx); err != nil {
		return nil, fmt.Errorf("syft: read image: %w", err)
	}
	lctx, err := c.licenseContext()
	if err != nil {
		return nil, err
	}
	ctx = withValuesFrom(ctx, lctx)
	out := make([]*sbom.Inventory, len(prefixes))
	for k, i := range prefixes {
		if i < 0 || i >= len(simg.Layers) {
			return nil, fmt.Errorf("syft: layer prefix %d of an image with %d layers", i, len(simg.Layers))
		}
		if out[k], err = c.catalogPrefix(ctx, simg, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// catalogPrefix catalogs layers 0..i. The view shares the image's layers and
// content; it is never closed, as closing a source cleans its image up.
func (c *Cataloger) catalogPrefix(ctx context.Context, simg *image.Image, i int) (*sbom.Inventory, error) {
	view := *simg
	view.Layers = simg.Layers[:i+1]
	view.SquashedSearchContext = simg.Layers[i].SquashedSearchContext
	src := stereoscopesource.New(&view, stereoscopesource.ImageConfig{Reference: "image"})
	s, err := anchore.CreateSBOM(ctx, src, c.createConfig(c.settings.ImageCatalogers))
	if err != nil {
		return nil, fmt.Errorf("syft: catalog layers 0..%d: %w", i, err)
	}
	res, err := src.FileResolver(source.SquashedScope)
	if err != nil {
		return nil, fmt.Errorf("syft: layers 0..%d: %w", i, err)
	}
	inv := convert(s, "", sbom.View{Kind: sbom.ViewImage})
	locateOS(inv, res)
	hashArtifacts(inv, res)
	return inv, nil
}
