package release_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/seal"
	"github.com/stella-ops/stella/store"
	"github.com/stella-ops/stella/tenant"
)

func ExampleService_FinalizeRelease() {
	ctx := context.Background()

	// An OCI registry in process, holding team/api:v2.3.1.
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte("api binary"), types.OCILayer))
	if err != nil {
		panic(err)
	}
	ref, err := name.ParseReference(host+"/team/api:v2.3.1", name.Insecure)
	if err != nil {
		panic(err)
	}
	if err := remote.Write(ref, img); err != nil {
		panic(err)
	}

	// The catalog in a SQLite file, with secrets sealed by a server key.
	dir, err := os.MkdirTemp("", "stella-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "stella.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		panic(err)
	}
	releases := release.NewService(db, box)
	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: "acme", Actor: "ci"})

	if _, err := releases.CreateIntegration(ctx, release.IntegrationSpec{
		Name: "hub", Type: release.IntegrationOCI, Config: release.IntegrationConfig{Endpoint: host, Insecure: true},
	}); err != nil {
		panic(err)
	}
	if _, err := releases.CreateComponent(ctx, release.ComponentSpec{Name: "api", ImageRepository: "team/api", Registry: "hub"}); err != nil {
		panic(err)
	}

	rel, err := releases.CreateRelease(ctx, release.Draft{Name: "myapp-v2.3.1"})
	if err != nil {
		panic(err)
	}
	rel, err = releases.AddComponent(ctx, rel.ID, release.ComponentRef{Component: "api", Tag: "v2.3.1"})
	if err != nil {
		panic(err)
	}
	rel, err = releases.FinalizeRelease(ctx, rel.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(rel.Name, rel.Application, rel.Status)
	for _, c := range rel.Components {
		fmt.Println(c.Name, c.Tag, "→", c.Digest) // the tag is resolved once; the digest is what ships
	}
	fmt.Println("digest verifies:", rel.VerifyDigest() == nil)
	// Output:
	// myapp-v2.3.1 myapp finalized
	// api v2.3.1 → sha256:d0b9ca96cc6918057f351b7c49d7fc4896287a57af575d09e3cacf394f480776
	// digest verifies: true
}
