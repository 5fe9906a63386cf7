// Package oci holds the container-image sources of sbom.Generate: an image
// in a registry, the Docker daemon, an OCI layout or archive, or a docker
// save tarball, read through go-containerregistry. A scan enumerates the
// image's layers (diffIDs, chainIDs) and inventories every layer prefix,
// from the sbom.Cache, through a PrefixCataloger that reads layers in place,
// or by unpacking the layers into one directory (whiteouts honoured, content
// checked against the diffID, nothing written outside it) with every
// evidence location attributed to the layer that wrote the file.
//
// As go-containerregistry's remote, layout and daemon packages each return a
// v1.Image, each constructor here returns a sbom.Source. Package sbom keeps
// the model, Generate and the directory and file sources, and never imports
// this one: Generate hands a Source its settings (sbom.ScanOptions) and turns
// the prefix inventories it returns into a Document, attributing components
// to layers and composing the per-layer fragments (sbom.md §4–§5), so those
// rules live once whatever the source.
//
//	c, err := syft.New()
//	doc, err := sbom.Generate(ctx, oci.Registry("registry.example/app:1.2"), sbom.WithCataloger(c))
package oci
