package sbom

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultPlatform is the platform chosen from a multi-platform image index
// when none is requested.
const DefaultPlatform = "linux/amd64"

// Option configures Generate.
type Option func(*config)

type config struct {
	cataloger   Cataloger
	clock       func() time.Time
	timestamp   time.Time
	platform    string
	cache       Cache
	toolVersion string
	subjectName string
	progress    func(stage string, done, total int)
	tempDir     string
}

// WithCataloger sets the cataloging engine (required), e.g. syft.New().
func WithCataloger(c Cataloger) Option { return func(cfg *config) { cfg.cataloger = c } }

// WithClock sets the clock read for the document timestamp when neither an
// explicit timestamp nor an image creation time is known. Without it the
// timestamp is 1970-01-01T00:00:00Z: the wall clock is never read.
func WithClock(now func() time.Time) Option { return func(cfg *config) { cfg.clock = now } }

// WithTimestamp sets the document timestamp; it wins over the image's
// creation time and the clock.
func WithTimestamp(t time.Time) Option { return func(cfg *config) { cfg.timestamp = t } }

// WithPlatform chooses the image of a multi-platform index ("os/arch" or
// "os/arch/variant"); the default is linux/amd64.
func WithPlatform(p string) Option { return func(cfg *config) { cfg.platform = p } }

// WithCache reuses the inventories of layer prefixes scanned before.
func WithCache(c Cache) Option { return func(cfg *config) { cfg.cache = c } }

// WithToolVersion sets the version recorded for the "stella" tool.
func WithToolVersion(v string) Option { return func(cfg *config) { cfg.toolVersion = v } }

// WithSubjectName names what was scanned, for example "myapp-rootfs" for a
// directory, whose default name is "." so that a copy of the same tree at
// another path gives the same SBOM.
func WithSubjectName(name string) Option { return func(cfg *config) { cfg.subjectName = name } }

func (cfg *config) subject(s Subject) Subject {
	if cfg.subjectName != "" {
		s.Name = cfg.subjectName
	}
	return s
}

// WithProgress reports progress: stage is "resolve", "layers", "catalog" or
// "compose"; done of total steps are finished. It is called from the
// goroutine running Generate.
func WithProgress(f func(stage string, done, total int)) Option {
	return func(cfg *config) { cfg.progress = f }
}

// WithTempDir sets where image layers are unpacked while scanning; the
// default is the system's temporary directory. Nothing is left behind.
func WithTempDir(dir string) Option { return func(cfg *config) { cfg.tempDir = dir } }

func (cfg *config) report(stage string, done, total int) {
	if cfg.progress != nil {
		cfg.progress(stage, done, total)
	}
}

// ErrNoCataloger is returned by Generate when no Cataloger was configured.
var ErrNoCataloger = errors.New("sbom: no cataloger configured (use WithCataloger)")

// Generate scans src and returns its normalized Document (sbom.md §2): an
// image's layers are enumerated and every layer prefix is inventoried, so
// that each component records the layer that introduced it (§4); components
// are composed into per-layer fragments under a Merkle root (§5).
func Generate(ctx context.Context, src Source, opts ...Option) (*Document, error) {
	cfg := config{platform: DefaultPlatform, toolVersion: "devel"}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.cataloger == nil {
		return nil, ErrNoCataloger
	}
	if src == nil {
		return nil, errors.New("sbom: no source given")
	}
	cfg.report("resolve", 0, 1)
	t, err := src.open(ctx, &cfg)
	if err != nil {
		return nil, fmt.Errorf("sbom: open %s: %w", src, err)
	}
	defer t.close()
	cfg.report("resolve", 1, 1)

	info := cfg.cataloger.Info()
	doc := &Document{
		Subject: cfg.subject(t.subject),
		Tool:    Tool{Name: "stella", Version: cfg.toolVersion},
		Properties: []Property{
			{Name: PropConfigDigest, Value: info.ConfigDigest},
		},
	}
	var created time.Time
	if t.image != nil {
		created, err = scanImage(ctx, &cfg, t.image, doc)
	} else {
		err = scanView(ctx, &cfg, t.view, doc)
	}
	if err != nil {
		return nil, err
	}
	doc.Timestamp = cfg.documentTime(created)
	if err := Normalize(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// documentTime picks the timestamp: explicit, else the image's creation
// time, else the injected clock, else the Unix epoch; UTC, whole seconds.
func (cfg *config) documentTime(created time.Time) time.Time {
	t := time.Unix(0, 0)
	switch {
	case !cfg.timestamp.IsZero():
		t = cfg.timestamp
	case !created.IsZero() && created.Unix() > 0:
		t = created
	case cfg.clock != nil:
		t = cfg.clock()
	}
	return t.UTC().Truncate(time.Second)
}

// scanView inventories a directory or a single file: one view, no layers.
func scanView(ctx context.Context, cfg *config, v View, doc *Document) error {
	cfg.report("catalog", 0, 1)
	inv, err := cfg.cataloger.Catalog(ctx, v)
	if err != nil {
		return fmt.Errorf("sbom: catalog %s: %w", v.Kind, err)
	}
	root := v.Root
	if v.Kind == ViewFile {
		root = ""
	}
	addComputedHashes(inv, root, v.File)
	cfg.report("catalog", 1, 1)
	cfg.report("compose", 0, 1)
	cs := inventoryComponents(inv)
	doc.Components = cs.components
	doc.Dependencies = cs.dependencies
	doc.Warnings = inv.Warnings
	cfg.report("compose", 1, 1)
	return nil
}
