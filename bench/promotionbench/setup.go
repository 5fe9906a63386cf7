package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/tenant"
)

const benchTenant = "bench"

// job is one promotion to request.
type job struct{ release, environment string }

// setUp pushes the image, creates the integration, the component, the
// environments and the releases, scans the seed release and returns the
// promotions to request, in the order they are sent.
func setUp(ctx context.Context, srv *server.Server, admin *client, registryHost string, c config) ([]job, error) {
	digest, err := pushImage(registryHost + "/team/api:v1.0.0")
	if err != nil {
		return nil, err
	}
	steps := []struct {
		query string
		vars  map[string]any
	}{
		{`mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": registryHost, "insecure": true}}},
		{`mutation { createComponent(input: {name: "api", imageRepository: "team/api", registry: "hub"}) { id } }`, nil},
	}
	for i := range c.envs {
		// No approvals, no previous environment required: every promotion
		// goes straight from its request to its deployment.
		steps = append(steps, struct {
			query string
			vars  map[string]any
		}{`mutation($in: EnvironmentInput!) { createEnvironment(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": envName(i), "orderIndex": i, "tier": "staging", "requirePreviousEnvironment": false}}})
	}
	for _, s := range steps {
		if _, err := admin.do(ctx, s.query, s.vars); err != nil {
			return nil, err
		}
	}

	actx := tenant.WithScope(ctx, tenant.Scope{Tenant: benchTenant, Actor: "promotionbench"})
	cat := srv.Catalog()
	newRelease := func(application, name string) error {
		if _, err := cat.CreateRelease(actx, release.Draft{Name: name, Application: application}); err != nil {
			return err
		}
		if _, err := cat.AddComponent(actx, name, release.ComponentRef{Component: "api", Digest: digest}); err != nil {
			return err
		}
		_, err := cat.FinalizeRelease(actx, name)
		return err
	}
	// The seed release is scanned once: its SBOM, stored by image digest,
	// is the SBOM of every release below.
	if err := newRelease("seed", "seed-v1.0.0"); err != nil {
		return nil, err
	}
	if _, err := admin.do(ctx, `mutation { scanRelease(key: "seed-v1.0.0") { scanned } }`, nil); err != nil {
		return nil, err
	}

	jobs := make([]job, c.promotions)
	for i := range jobs {
		jobs[i] = job{release: fmt.Sprintf("app%02d-v1.0.%d", i%c.apps, i/c.apps), environment: envName(i / c.apps % c.envs)}
	}
	work := make(chan int)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				if err := newRelease(fmt.Sprintf("app%02d", i%c.apps), jobs[i].release); err != nil {
					errs <- fmt.Errorf("release %s: %w", jobs[i].release, err)
					return
				}
			}
		})
	}
	var ferr error
feed:
	for i := range jobs {
		select {
		case work <- i:
		case ferr = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if ferr == nil {
		select {
		case ferr = <-errs:
		default:
		}
	}
	return jobs, ferr
}

func envName(i int) string { return fmt.Sprintf("env%d", i) }

// pushImage pushes an image whose one layer holds os-release and a dpkg
// status file with a few packages, so that the SBOM and the decision's
// matching have something to read, and returns its digest.
func pushImage(ref string) (string, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var status string
	for _, p := range [][3]string{{"openssl", "openssl", "3.0.15-1~deb12u1"}, {"zlib1g", "zlib", "1:1.2.13.dfsg-1"},
		{"libc6", "glibc", "2.36-9+deb12u9"}, {"libssl3", "openssl", "3.0.15-1~deb12u1"}, {"curl", "curl", "7.88.1-10+deb12u8"}} {
		status += "Package: " + p[0] + "\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 100\n" +
			"Maintainer: Debian <debian@example.org>\nArchitecture: amd64\nSource: " + p[1] + "\nVersion: " + p[2] + "\nDescription: " + p[0] + "\n\n"
	}
	for _, f := range []struct{ name, body string }{
		{"etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"},
		{"var/lib/dpkg/status", status},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			return "", err
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return "", err
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(r, img); err != nil {
		return "", err
	}
	d, err := img.Digest()
	return d.String(), err
}
