package sbom

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Whiteout markers of the OCI image layer specification.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// rootfs is a directory that image layers are applied to base → top, so
// that after applying layer i it holds the squashed filesystem of layers
// 0..i. It remembers which layer wrote each file, to attribute evidence to
// the diffID of the layer holding it.
type rootfs struct {
	root  *os.Root
	owner map[string]int // rootfs-relative real path → index of the layer that wrote it
}

func newRootfs(dir string) (*rootfs, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &rootfs{root: root, owner: map[string]int{}}, nil
}

func (r *rootfs) close() { r.root.Close() }

// apply unpacks layer index on top of what is there, honouring whiteouts.
// All writes go through os.Root, so no entry or symlink can reach outside.
func (r *rootfs) apply(ctx context.Context, l v1.Layer, index int) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("layer %d: %w", index, err)
	}
	defer rc.Close()
	a := applier{rootfs: r, index: index, written: map[string]bool{}}
	tr := tar.NewReader(rc)
	for n := 0; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("layer %d: read tar: %w", index, err)
		}
		if err := a.entry(h, tr); err != nil {
			return fmt.Errorf("layer %d: entry %q: %w", index, h.Name, err)
		}
	}
}

// applier applies the entries of one layer.
type applier struct {
	*rootfs
	index   int
	written map[string]bool // paths written by this layer, and their ancestors
}

func (a *applier) entry(h *tar.Header, body io.Reader) error {
	name, err := entryPath(h.Name)
	if err != nil || name == "" {
		return err
	}
	dir, base := path.Split(name)
	parent, err := a.resolve(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return err
	}
	switch {
	case base == whiteoutOpaque:
		return a.opaque(parent)
	case strings.HasPrefix(base, whiteoutPrefix):
		return a.remove(path.Join(parent, strings.TrimPrefix(base, whiteoutPrefix)))
	}
	p := path.Join(parent, base)
	if parent != "" {
		if err := a.root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if fi, err := a.root.Lstat(p); err == nil && fi.IsDir() {
			a.markWritten(p)
			return nil
		}
		if err := a.remove(p); err != nil {
			return err
		}
		a.markWritten(p)
		return a.root.Mkdir(p, 0o755)
	case tar.TypeReg:
		if err := a.remove(p); err != nil {
			return err
		}
		if err := a.writeFile(p, body, h.FileInfo().Mode()); err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := a.remove(p); err != nil {
			return err
		}
		if err := a.root.Symlink(h.Linkname, p); err != nil {
			return err
		}
	case tar.TypeLink:
		target, err := entryPath(h.Linkname)
		if err != nil {
			return err
		}
		if target, err = a.resolve(target); err != nil {
			return err
		}
		if err := a.remove(p); err != nil {
			return err
		}
		if err := a.root.Link(target, p); err != nil {
			return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
		}
	default:
		return nil // devices and FIFOs hold no software
	}
	a.owner[p] = a.index
	a.markWritten(p)
	return nil
}

func (a *applier) writeFile(p string, body io.Reader, mode fs.FileMode) error {
	// Readable by the cataloger whatever the layer says; execute bits kept.
	perm := 0o644 | mode.Perm()&0o111
	f, err := a.root.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (a *applier) markWritten(p string) {
	for ; p != "." && p != "" && !a.written[p]; p = path.Dir(p) {
		a.written[p] = true
	}
}

// opaque empties dir of everything the layers below put there.
func (a *applier) opaque(dir string) error {
	name := dir
	if name == "" {
		name = "."
	}
	entries, err := fs.ReadDir(a.root.FS(), name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if !a.written[p] {
			if err := a.remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove deletes p (and what is below it) and forgets its owners.
func (a *applier) remove(p string) error {
	if _, err := a.root.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := a.root.RemoveAll(p); err != nil {
		return err
	}
	delete(a.owner, p)
	prefix := p + "/"
	for k := range a.owner {
		if strings.HasPrefix(k, prefix) {
			delete(a.owner, k)
		}
	}
	return nil
}

// resolve follows symbolic links in p as if the rootfs were "/" (an
// absolute target restarts at the rootfs), returning the real relative
// path. Components that do not exist yet are kept as they are.
func (r *rootfs) resolve(p string) (string, error) {
	queue := splitPath(p)
	cur := ""
	for hops := 0; len(queue) > 0; {
		c := queue[0]
		queue = queue[1:]
		if c == ".." {
			cur = parentDir(cur)
			continue
		}
		next := path.Join(cur, c)
		fi, err := r.root.Lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("too many symbolic links resolving %q", p)
		}
		link, err := r.root.Readlink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(link, "/") {
			cur = ""
		}
		queue = append(splitPath(link), queue...)
	}
	return cur, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

func parentDir(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

// entryPath makes a tar entry name rootfs-relative ("" is the root itself);
// ".." cannot climb above the root, as in a container runtime.
func entryPath(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("entry name contains NUL")
	}
	return strings.TrimPrefix(path.Clean("/"+name), "/"), nil
}
