package syft

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	anchore "github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/cataloging/filecataloging"
	"github.com/anchore/syft/syft/cataloging/pkgcataloging"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/directorysource"
	"github.com/anchore/syft/syft/source/filesource"

	// syft's RPM cataloger reads newer (sqlite) rpmdb files through
	// database/sql; this pure-Go driver registers "sqlite".
	_ "modernc.org/sqlite"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/sbom"
)

// Engine and EngineVersion name the syft release this package is built and
// tested against; a test checks the version against the build's module list.
const (
	Engine        = "syft"
	EngineVersion = "v1.57.1"
)

// Cataloger is a sbom.Cataloger backed by syft with a pinned cataloger list.
type Cataloger struct {
	settings settings
	digest   string

	// licenses carries syft's license scanner, built once: building it takes
	// over a second, which would otherwise be paid for every layer prefix.
	licenses     context.Context
	licensesOnce sync.Once
	licensesErr  error
}

var _ sbom.Cataloger = (*Cataloger)(nil)

// Option configures a Cataloger.
type Option func(*settings)

// WithParallelism sets how many catalogers run at once (default: the number
// of CPUs). It does not change the output.
func WithParallelism(n int) Option { return func(s *settings) { s.parallelism = n } }

// New returns a syft Cataloger with Stella's pinned configuration.
func New(opts ...Option) (*Cataloger, error) {
	s := pinned()
	for _, o := range opts {
		o(&s)
	}
	digest, err := canon.Digest(s)
	if err != nil {
		return nil, fmt.Errorf("syft: digest configuration: %w", err)
	}
	return &Cataloger{settings: s, digest: digest}, nil
}

// Info names syft and digests the pinned configuration.
func (c *Cataloger) Info() sbom.CatalogerInfo {
	return sbom.CatalogerInfo{Engine: Engine, Version: EngineVersion, ConfigDigest: c.digest}
}

// Catalog inventories one view with syft.
func (c *Cataloger) Catalog(ctx context.Context, v sbom.View) (*sbom.Inventory, error) {
	src, root, err := newSource(v)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	lctx, err := c.licenseContext()
	if err != nil {
		return nil, err
	}
	ctx = withValuesFrom(ctx, lctx)
	names := c.settings.DirectoryCatalogers
	if v.Kind == sbom.ViewImage {
		names = c.settings.ImageCatalogers
	}
	s, err := anchore.CreateSBOM(ctx, src, c.createConfig(names))
	if err != nil {
		return nil, fmt.Errorf("syft: catalog %s view: %w", v.Kind, err)
	}
	inv := convert(s, root, v)
	if v.Kind != sbom.ViewFile {
		res, err := src.FileResolver(source.SquashedScope)
		if err != nil {
			return nil, fmt.Errorf("syft: %s view: %w", v.Kind, err)
		}
		locateOS(inv, res)
	}
	return inv, nil
}

func (c *Cataloger) licenseContext() (context.Context, error) {
	c.licensesOnce.Do(func() {
		c.licenses, c.licensesErr = anchore.SetContextLicenseScanner(context.Background(), c.licenseConfig())
		if c.licensesErr != nil {
			c.licensesErr = fmt.Errorf("syft: license scanner: %w", c.licensesErr)
		}
	})
	return c.licenses, c.licensesErr
}

func (c *Cataloger) licenseConfig() cataloging.LicenseConfig {
	return cataloging.LicenseConfig{IncludeContent: cataloging.LicenseContentExcludeAll, Coverage: c.settings.LicenseCoverage}
}

// valuesFrom is ctx (deadline, cancellation, values) that also finds the
// values of another context: syft looks its license scanner up there.
type valuesFrom struct {
	context.Context
	more context.Context
}

func withValuesFrom(ctx, more context.Context) context.Context { return valuesFrom{ctx, more} }

func (v valuesFrom) Value(key any) any {
	if x := v.Context.Value(key); x != nil {
		return x
	}
	return v.more.Value(key)
}

// newSource makes the explicit syft source for a view: syft is never left
// to guess a provider (some of which reach the network).
func newSource(v sbom.View) (source.Source, string, error) {
	switch v.Kind {
	case sbom.ViewImage, sbom.ViewDirectory:
		// Base = Path: symbolic links resolve inside the view, as in a chroot.
		src, err := directorysource.New(directorysource.Config{Path: v.Root, Base: v.Root})
		if err != nil {
			return nil, "", fmt.Errorf("syft: directory source %s: %w", v.Root, err)
		}
		return src, v.Root, nil
	case sbom.ViewFile:
		src, err := filesource.New(filesource.Config{Path: v.File, SkipExtractArchive: true})
		if err != nil {
			return nil, "", fmt.Errorf("syft: file source %s: %w", v.File, err)
		}
		return src, filepath.Dir(v.File), nil
	default:
		return nil, "", fmt.Errorf("syft: unknown view kind %q", v.Kind)
	}
}

// createConfig is the syft configuration for the settings: the named
// catalogers only, no file catalogers (Stella hashes evidence itself), and
// nothing that reads the network or the host's caches.
func (c *Cataloger) createConfig(names []string) *anchore.CreateSBOMConfig {
	s := c.settings
	pkgs := pkgcataloging.DefaultConfig()
	pkgs.Golang.SearchLocalModCacheLicenses = false
	pkgs.Golang.LocalModCacheDir = ""
	pkgs.Golang.SearchLocalVendorLicenses = false
	pkgs.Golang.SearchRemoteLicenses = false
	pkgs.Golang.Proxies = nil
	pkgs.Golang.NoProxy = nil
	pkgs.JavaArchive.UseNetwork = false
	pkgs.JavaArchive.UseMavenLocalRepository = false
	pkgs.JavaScript.SearchRemoteLicenses = false
	pkgs.Python.SearchRemoteLicenses = false
	pkgs.Cpp.VcpkgAllowGitClone = false

	cfg := anchore.DefaultCreateSBOMConfig().
		WithTool("stella", "").
		WithParallelism(s.parallelism).
		WithPackagesConfig(pkgs).
		WithFilesConfig(filecataloging.Config{Selection: file.NoFilesSelection}).
		WithLicenseConfig(c.licenseConfig()).
		WithRelationshipsConfig(cataloging.RelationshipsConfig{
			PackageFileOwnership:                          false,
			PackageFileOwnershipOverlap:                   true,
			ExcludeBinaryPackagesWithFileOwnershipOverlap: true,
		}).
		WithUnknownsConfig(cataloging.UnknownsConfig{}).
		WithDataGenerationConfig(cataloging.DataGenerationConfig{GenerateCPEs: true}).
		WithCatalogerSelection(cataloging.NewSelectionRequest().WithDefaults(names...))
	return cfg
}
