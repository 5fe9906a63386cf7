// Package syft is Stella's cataloging engine: a sbom.Cataloger, and an
// oci.PrefixCataloger that reads image layers in place, backed by syft
// (github.com/anchore/syft) used as a library, with a pinned list of
// catalogers, explicit sources and nothing that reaches the network or the
// host's caches. It is the only package that imports syft, so that packages
// which only read SBOMs stay light.
//
//	c, err := syft.New()
//	doc, err := sbom.Generate(ctx, oci.Layout("./image"), sbom.WithCataloger(c))
package syft
