package oci

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stella-ops/stella/sbom"
)

// target is an opened source: an image chosen down to one platform's
// manifest, and what to release once it is scanned.
type target struct {
	subject sbom.Subject
	img     v1.Image
	// blobs is set when the layers' compressed blobs are stored as such
	// (layouts, registries): they are then decompressed by Stella, faster
	// than go-containerregistry does. Elsewhere Compressed() would compress.
	blobs   bool
	cleanup []func()
}

func (t *target) close() {
	for i := len(t.cleanup) - 1; i >= 0; i-- {
		t.cleanup[i]()
	}
}

// FromImage is an image already in hand, such as one built with
// go-containerregistry's mutate package. name is recorded as the subject.
func FromImage(name string, img v1.Image) sbom.Source { return imageSource{name: name, img: img} }

type imageSource struct {
	name string
	img  v1.Image
}

func (s imageSource) String() string { return "image:" + s.name }

// Scan inventories every layer prefix of the image.
func (s imageSource) Scan(ctx context.Context, o sbom.ScanOptions) (*sbom.Scanned, error) {
	return scan(ctx, s, o)
}

func (s imageSource) open(context.Context, sbom.ScanOptions) (*target, error) {
	return imageTarget(sbom.Subject{Name: s.name}, s.img, false)
}

// Layout is an OCI image layout directory (as layout.Write makes it).
// When the layout holds several images, the one for the requested platform
// is chosen.
func Layout(path string) sbom.Source { return layoutSource(path) }

type layoutSource string

func (s layoutSource) String() string { return "oci-dir:" + string(s) }

// Scan inventories every layer prefix of the image.
func (s layoutSource) Scan(ctx context.Context, o sbom.ScanOptions) (*sbom.Scanned, error) {
	return scan(ctx, s, o)
}

func (s layoutSource) open(_ context.Context, o sbom.ScanOptions) (*target, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return nil, err
	}
	idx, err := layout.ImageIndexFromPath(abs)
	if err != nil {
		return nil, fmt.Errorf("read OCI layout: %w", err)
	}
	img, indexDigest, err := selectImage(idx, o.Platform)
	if err != nil {
		return nil, err
	}
	return imageTarget(sbom.Subject{Name: filepath.Base(abs), IndexDigest: indexDigest}, img, true)
}

// Archive is a tar archive of an OCI image layout.
func Archive(path string) sbom.Source { return archiveSource(path) }

type archiveSource string

func (s archiveSource) String() string { return "oci-archive:" + string(s) }

// Scan inventories every layer prefix of the image.
func (s archiveSource) Scan(ctx context.Context, o sbom.ScanOptions) (*sbom.Scanned, error) {
	return scan(ctx, s, o)
}

func (s archiveSource) open(ctx context.Context, o sbom.ScanOptions) (*target, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.TempDir, "stella-oci-")
	if err != nil {
		return nil, err
	}
	remove := func() { os.RemoveAll(dir) }
	if err := untarLayout(abs, dir); err != nil {
		remove()
		return nil, fmt.Errorf("unpack OCI archive: %w", err)
	}
	t, err := layoutSource(dir).open(ctx, o)
	if err != nil {
		remove()
		return nil, err
	}
	t.subject.Name = filepath.Base(abs)
	t.cleanup = append(t.cleanup, remove)
	return t, nil
}

// untarLayout unpacks the regular files and directories of an OCI layout
// archive; anything else (links, devices) has no place in a layout.
func untarLayout(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." || name == "/" {
			continue
		}
		name = strings.TrimPrefix(name, "/")
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if d := path.Dir(name); d != "." {
				if err := root.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			out, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
}

// DockerArchive is a tarball as `docker save` writes it.
func DockerArchive(path string) sbom.Source { return dockerArchiveSource(path) }

type dockerArchiveSource string

func (s dockerArchiveSource) String() string { return "docker-archive:" + string(s) }

// Scan inventories every layer prefix of the image.
func (s dockerArchiveSource) Scan(ctx context.Context, o sbom.ScanOptions) (*sbom.Scanned, error) {
	return scan(ctx, s, o)
}

func (s dockerArchiveSource) open(context.Context, sbom.ScanOptions) (*target, error) {
	abs, err := filepath.Abs(string(s))
	if err != nil {
		return nil, err
	}
	img, err := tarball.ImageFromPath(abs, nil)
	if err != nil {
		return nil, fmt.Errorf("read docker archive: %w", err)
	}
	return imageTarget(sbom.Subject{Name: filepath.Base(abs)}, img, false)
}

// Registry is an image in a registry. The reference is resolved to a
// manifest digest at once; a multi-platform index is resolved to the
// requested platform's manifest, and both digests are recorded. opts pass
// through to go-containerregistry (for example remote.WithAuthFromKeychain).
func Registry(ref string, opts ...remote.Option) sbom.Source {
	return registrySource{ref: ref, opts: opts}
}

type registrySource struct {
	ref  string
	opts []remote.Option
}

func (s registrySource) String() string { return "registry:" + s.ref }

// Scan inventories every layer prefix of the image.
func (s registrySource) Scan(ctx context.Context, o sbom.ScanOptions) (*sbom.Scanned, error) {
	return scan(ctx, s, o)
}

func (s registrySource) open(ctx context.Context, o sbom.ScanOptions) (*target, error) {
	ref, err := name.ParseReference(s.ref)
	if err != nil {
		return nil, fmt.Errorf("parse image reference: %w", err)
	}
	plat, err := v1.ParsePlatform(o.Platform)
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", o.Platform, err)
	}
	opts := append([]remote.Option{remote.WithContext(ctx), remote.WithPlatform(*plat)}, s.opts...)
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", ref, err)
	}
	// Pin the digest: nothing after this point uses the tag.
	pinned := ref.Context().Digest(desc.Digest.String())
	subject := sbom.Subject{Name: ref.Context().Name()}
	var img v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("read index %s: %w", pinned, err)
		}
		var indexDigest string
		img, indexDigest, err = selectImage(idx, o.Platform)
		if err != nil {
			return nil, err
		}
		subject.IndexDigest = desc.Digest.String()
		if indexDigest != "" && indexDigest != subject.IndexDigest {
			subject.IndexDigest = indexDigest // a nested index: record the one the manifest came from
		}
	} else {
		img, err = desc.Image()
		if err != nil {
			return nil, fmt.Errorf("read image %s: %w", pinned, err)
		}
	}
	return imageTarget(subject, img, true)
}

// Daemon is an image in the local Docker daemon, by reference or image ID.
func Daemon(ref string) sbom.Source { return daemonSource(ref) }

type daemonSource string

func (s daemonSource) String() string { return "docker:" + string(s) }

// Scan inventories every layer prefix of the image.
func (s daemonSource) Scan(ctx context.Context, o sbom.ScanOptions) (*sbom.Scanned, error) {
	return scan(ctx, s, o)
}

func (s daemonSource) open(ctx context.Context, _ sbom.ScanOptions) (*target, error) {
	ref, err := name.ParseReference(string(s))
	if err != nil {
		return nil, fmt.Errorf("parse image reference: %w", err)
	}
	img, err := daemon.Image(ref, daemon.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("read %s from the Docker daemon: %w", ref, err)
	}
	return imageTarget(sbom.Subject{Name: ref.Context().Name()}, img, false)
}

// imageTarget completes an image subject with its digest and platform.
// blobs says the layers' compressed blobs are stored (see target).
func imageTarget(subject sbom.Subject, img v1.Image, blobs bool) (*target, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("image digest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	subject.Kind = "image"
	subject.Digest = digest.String()
	if p := cf.Platform(); p != nil && p.OS != "" {
		subject.Platform = platformString(p)
	}
	return &target{subject: subject, img: img, blobs: blobs}, nil
}

func platformString(p *v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// selectImage walks an index down to the image for platform. An index with
// a single image and no platform information yields that image. The digest
// returned is that of the nested index the image came from, if any.
func selectImage(idx v1.ImageIndex, platform string) (v1.Image, string, error) {
	want, err := v1.ParsePlatform(platform)
	if err != nil {
		return nil, "", fmt.Errorf("platform %q: %w", platform, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("read index: %w", err)
	}
	var candidates []v1.Descriptor
	for _, d := range im.Manifests {
		if d.Platform == nil || d.Platform.Satisfies(*want) {
			candidates = append(candidates, d)
		}
	}
	if len(candidates) == 0 {
		return nil, "", fmt.Errorf("no image for platform %s among %d manifests", platform, len(im.Manifests))
	}
	// Prefer an exact platform match over a descriptor without platform.
	d := candidates[0]
	for _, c := range candidates {
		if c.Platform != nil {
			d = c
			break
		}
	}
	if len(candidates) > 1 && d.Platform == nil {
		return nil, "", fmt.Errorf("%d images without platform information: cannot choose one", len(candidates))
	}
	if d.MediaType.IsIndex() {
		child, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return nil, "", fmt.Errorf("read index %s: %w", d.Digest, err)
		}
		img, _, err := selectImage(child, platform)
		return img, d.Digest.String(), err
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return nil, "", fmt.Errorf("read image %s: %w", d.Digest, err)
	}
	return img, "", nil
}
