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

// WithCache reuses the inventories of image layer prefixes scanned before.
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

// ErrNoCataloger is returned by Generate, and by a Source's Scan, when no
// Cataloger was configured.
var ErrNoCataloger = errors.New("sbom: no cataloger configured (use WithCataloger)")

// ScanOptions are the settings of Generate that a Source acts on.
type ScanOptions struct {
	Cataloger Cataloger // required
	Cache     Cache     // inventories of image layer prefixes; nil caches nothing
	Platform  string    // the image to choose from a multi-platform index; "" is DefaultPlatform
	TempDir   string    // where to unpack; "" is the system's temporary directory
	// Progress, when set, is told of the stages of a scan: "resolve" while
	// the source is resolved, then "layers" (unpacking) and "catalog".
	// Generate reports "compose" itself.
	Progress func(stage string, done, total int)
}

// Scanned is what a Source found, for Generate to compose into a Document.
type Scanned struct {
	Subject Subject
	// Created is an image's creation time, zero when unknown: the document
	// timestamp unless WithTimestamp or WithClock says otherwise.
	Created time.Time
	// Layers are an image's layers, base → top; none for a directory or a
	// file.
	Layers []Layer
	// Inventories are, for an image, inv(i) of the squashed layers 0..i for
	// every layer i, each location carrying the diffID of the layer holding
	// the file (sbom.md §2.2); otherwise the single inventory of the view.
	Inventories []*Inventory
}

func (cfg *config) scanOptions() ScanOptions {
	return ScanOptions{
		Cataloger: cfg.cataloger, Cache: cfg.cache, Platform: cfg.platform,
		TempDir: cfg.tempDir, Progress: cfg.progress,
	}
}

// Generate scans src and returns its normalized Document (sbom.md §2): an
// image's layers are enumerated and every layer prefix is inventoried (by
// the Source, see sbom/oci), so that each component records the layer that
// introduced it (§4); components are composed into per-layer fragments under
// a Merkle root (§5).
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
	sc, err := src.Scan(ctx, cfg.scanOptions())
	if err != nil {
		return nil, err
	}
	info := cfg.cataloger.Info()
	doc := &Document{
		Subject: cfg.subject(sc.Subject),
		Tool:    Tool{Name: "stella", Version: cfg.toolVersion},
		Properties: []Property{
			{Name: PropConfigDigest, Value: info.ConfigDigest},
		},
	}
	if err := cfg.compose(src, sc, doc); err != nil {
		return nil, err
	}
	doc.Timestamp = cfg.documentTime(sc.Created)
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

// compose turns what src found into doc's components: a view's inventory as
// it is; an image's prefix inventories with every component attributed to
// the layer that introduced it (sbom.md §4) and the composition recorded
// (§5). An image without layers holds nothing.
func (cfg *config) compose(src Source, sc *Scanned, doc *Document) error {
	for _, inv := range sc.Inventories {
		if inv == nil {
			return fmt.Errorf("sbom: %s gave a nil inventory", src)
		}
	}
	if len(sc.Layers) == 0 {
		switch len(sc.Inventories) {
		case 0:
			return nil
		case 1:
			cfg.report("compose", 0, 1)
			cs := inventoryComponents(sc.Inventories[0])
			doc.Components = cs.components
			doc.Dependencies = cs.dependencies
			doc.Warnings = sc.Inventories[0].Warnings
			cfg.report("compose", 1, 1)
			return nil
		}
		return fmt.Errorf("sbom: %s gave %d inventories for no layers", src, len(sc.Inventories))
	}
	if len(sc.Inventories) != len(sc.Layers) {
		return fmt.Errorf("sbom: %s gave %d inventories for %d layer prefixes", src, len(sc.Inventories), len(sc.Layers))
	}
	doc.Layers = append(doc.Layers, sc.Layers...)
	cfg.report("compose", 0, 1)
	sets := make([]componentSet, len(sc.Inventories))
	for i, inv := range sc.Inventories {
		sets[i] = inventoryComponents(inv)
	}
	top := sets[len(sets)-1]
	attribute(top.components, sets, sc.Layers)
	doc.Components = top.components
	doc.Dependencies = top.dependencies
	doc.Warnings = sc.Inventories[len(sc.Inventories)-1].Warnings
	if err := Normalize(doc); err != nil {
		return err
	}
	comp, err := Compose(doc)
	if err != nil {
		return err
	}
	digest, err := comp.Digest()
	if err != nil {
		return err
	}
	doc.Properties = append(doc.Properties,
		Property{Name: PropMerkleRoot, Value: comp.MerkleRoot},
		Property{Name: PropComposition, Value: digest})
	cfg.report("compose", 1, 1)
	return nil
}
