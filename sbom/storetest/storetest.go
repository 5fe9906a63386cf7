// Package storetest checks that an sbom.Store behaves as the interface says.
// Every implementation runs it:
//
//	storetest.Run(t, func(t *testing.T) sbom.Store { return openMyStore(t) })
package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/sbom"
)

func record(tenant, image, content string, pkgs ...sbom.Package) *sbom.Record {
	return &sbom.Record{TenantID: tenant, ContentDigest: content, ImageDigest: image, ImageName: "r.io/app",
		Format: "cyclonedx-json@1.7", Document: []byte(`{"bomFormat":"CycloneDX"}` + "\n"), Packages: pkgs,
		CreatedAt: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
}

func digest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

var (
	log4jOld = sbom.Package{Identity: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Type: "maven", Namespace: "org.apache.logging.log4j", Name: "log4j-core", Version: "2.14.1"}
	log4jNew = sbom.Package{Identity: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", Type: "maven", Namespace: "org.apache.logging.log4j", Name: "log4j-core", Version: "2.17.1"}
	openssl  = sbom.Package{Identity: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Type: "deb", Namespace: "debian", Name: "openssl", Version: "3.0.11-1~deb12u2"}
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) sbom.Store) {
	ctx := context.Background()
	t.Run("put and get", func(t *testing.T) {
		s := open(t)
		r := record("acme", digest('a'), digest('1'), openssl, log4jOld)
		if err := s.PutSBOM(ctx, r); err != nil {
			t.Fatal(err)
		}
		for _, get := range []func() (*sbom.Record, error){
			func() (*sbom.Record, error) { return s.SBOMByImage(ctx, "acme", digest('a')) },
			func() (*sbom.Record, error) { return s.SBOMByDigest(ctx, "acme", digest('1')) },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if got.ContentDigest != digest('1') || string(got.Document) != string(r.Document) || len(got.Packages) != 2 ||
				got.Packages[1].Identity != log4jOld.Identity || !got.CreatedAt.Equal(r.CreatedAt) {
				t.Fatalf("got %+v", got)
			}
		}
	})
	t.Run("put is idempotent", func(t *testing.T) {
		s := open(t)
		if err := s.PutSBOM(ctx, record("acme", digest('a'), digest('1'), openssl)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSBOM(ctx, record("acme", digest('a'), digest('1'), openssl)); err != nil {
			t.Fatalf("second put of the same content: %v", err)
		}
		got, err := s.SBOMByImage(ctx, "acme", digest('a'))
		if err != nil || len(got.Packages) != 1 {
			t.Fatalf("after two puts: %+v, %v", got, err)
		}
	})
	t.Run("missing and other tenants read as not found", func(t *testing.T) {
		s := open(t)
		if err := s.PutSBOM(ctx, record("acme", digest('a'), digest('1'), openssl)); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			func() error { _, err := s.SBOMByImage(ctx, "globex", digest('a')); return err }(),
			func() error { _, err := s.SBOMByDigest(ctx, "globex", digest('1')); return err }(),
			func() error { _, err := s.SBOMByImage(ctx, "acme", digest('b')); return err }(),
		} {
			if !errors.Is(err, sbom.ErrNotFound) {
				t.Errorf("err = %v, want sbom.ErrNotFound", err)
			}
		}
		if hits, err := s.SearchPackages(ctx, "globex", sbom.PackageQuery{Type: "deb", Name: "openssl"}); err != nil || len(hits) != 0 {
			t.Fatalf("globex search = %v, %v", hits, err)
		}
	})
	t.Run("search packages", func(t *testing.T) {
		s := open(t)
		for _, r := range []*sbom.Record{
			record("acme", digest('a'), digest('1'), openssl, log4jOld),
			record("acme", digest('b'), digest('2'), log4jNew),
		} {
			if err := s.PutSBOM(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		hits, err := s.SearchPackages(ctx, "acme", sbom.PackageQuery{Type: "maven", Namespace: "org.apache.logging.log4j", Name: "log4j-core"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 2 || hits[0].Version != "2.14.1" || hits[0].ImageDigest != digest('a') || hits[1].ImageDigest != digest('b') {
			t.Fatalf("hits = %+v", hits)
		}
		if hits, _ := s.SearchPackages(ctx, "acme", sbom.PackageQuery{Type: "deb", Name: "openssl"}); len(hits) != 1 || hits[0].ContentDigest != digest('1') {
			t.Fatalf("openssl hits = %+v", hits)
		}
		if hits, _ := s.SearchPackages(ctx, "acme", sbom.PackageQuery{Type: "npm", Name: "log4j-core"}); len(hits) != 0 {
			t.Fatalf("type must narrow the search: %+v", hits)
		}
	})
}
