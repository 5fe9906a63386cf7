package server

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/sbom/oci"
	"github.com/stella-ops/stella/sbom/syft"
)

// scanner makes SBOM records of registry images with syft, sharing one
// cataloging cache across scans so that common base layers are cataloged once.
type scanner struct {
	cataloger sbom.Cataloger
	cache     sbom.Cache
	version   string
	now       func() time.Time
}

func newScanner(version string, now func() time.Time) (*scanner, error) {
	cat, err := syft.New()
	if err != nil {
		return nil, err
	}
	return &scanner{cataloger: cat, cache: sbom.NewMemoryCache(), version: version, now: now}, nil
}

// Scan pulls image (repository@digest) with the component's registry access
// and returns its SBOM as canonical CycloneDX 1.7.
func (s *scanner) Scan(ctx context.Context, image string, access *release.RegistryAccess) (*sbom.Record, error) {
	opts := []remote.Option{}
	if c := access.Credential; c != nil {
		switch {
		case c.Token != "":
			opts = append(opts, remote.WithAuth(&authn.Bearer{Token: c.Token}))
		case c.Username != "":
			opts = append(opts, remote.WithAuth(&authn.Basic{Username: c.Username, Password: c.Password}))
		}
	}
	doc, err := sbom.Generate(ctx, oci.Registry(image, opts...),
		sbom.WithCataloger(s.cataloger), sbom.WithCache(s.cache), sbom.WithToolVersion(s.version))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := codec.Encode(&buf, doc, codec.CycloneDXJSON17); err != nil {
		return nil, err
	}
	digest, err := sbom.ContentDigest(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("content digest of %s: %w", image, err)
	}
	return &sbom.Record{ContentDigest: digest, ImageDigest: doc.Subject.Digest, ImageName: doc.Subject.Name,
		Format: string(codec.CycloneDXJSON17), Document: buf.Bytes(), Packages: sbom.Packages(doc), CreatedAt: s.now().UTC()}, nil
}
