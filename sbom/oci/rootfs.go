package oci

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
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
//
// Entry names are resolved by resolve, which follows symbolic links as a
// chroot would, so a parent path it returns contains no link: files are then
// created by plain path under dir with O_EXCL|O_NOFOLLOW (os.Root walks every
// component with openat, which doubled the unpack time). Links, removals and
// reads of link targets go through os.Root.
type rootfs struct {
	dir      string
	root     *os.Root
	owner    map[string]int  // rootfs-relative real path → index of the layer that wrote it
	realDirs map[string]bool // paths known to be directories, not links
}

func newRootfs(dir string) (*rootfs, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &rootfs{dir: dir, root: root, owner: map[string]int{}, realDirs: map[string]bool{}}, nil
}

// host is the host path of a resolved rootfs-relative path.
func (r *rootfs) host(p string) string { return filepath.Join(r.dir, filepath.FromSlash(p)) }

func (r *rootfs) close() { r.root.Close() }

// apply unpacks layer l on top of what is there, honouring whiteouts, and
// checks the content against l's diffID. All writes go through os.Root, so
// no entry or symlink can reach outside. blobs: see target.
func (r *rootfs) apply(ctx context.Context, l imageLayer, blobs bool) error {
	index := l.Index
	rc, err := uncompressedLayer(l.layer, blobs)
	if err != nil {
		return fmt.Errorf("layer %d: %w", index, err)
	}
	defer rc.Close()
	// Decompression runs ahead in its own goroutine while files are written.
	ra := newReadAhead(rc)
	defer ra.Close()
	a := applier{rootfs: r, index: index, written: map[string]bool{}}
	tr := tar.NewReader(ra)
	for n := 0; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if _, err := io.Copy(io.Discard, ra); err != nil { // the tar's end padding
				return fmt.Errorf("layer %d: %w", index, err)
			}
			if got := ra.Digest(); got != l.DiffID {
				return fmt.Errorf("layer %d: content digest %s does not match its diffID %s", index, got, l.DiffID)
			}
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
	if parent != "" && !a.realDirs[parent] {
		if err := a.root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
		a.realDirs[parent] = true
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if fi, err := os.Lstat(a.host(p)); err == nil && fi.IsDir() {
			a.markWritten(p)
			a.realDirs[p] = true
			return nil
		}
		if err := a.remove(p); err != nil {
			return err
		}
		a.markWritten(p)
		if err := os.Mkdir(a.host(p), 0o755); err != nil {
			return err
		}
		a.realDirs[p] = true
		return nil
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
	f, err := os.OpenFile(a.host(p), os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, perm)
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

// remove deletes p (and what is below it) and forgets what it knew of it.
func (a *applier) remove(p string) error {
	fi, err := os.Lstat(a.host(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.root.RemoveAll(p); err != nil {
		return err
	}
	delete(a.owner, p)
	delete(a.realDirs, p)
	if !fi.IsDir() {
		return nil
	}
	prefix := p + "/"
	for k := range a.owner {
		if strings.HasPrefix(k, prefix) {
			delete(a.owner, k)
		}
	}
	for k := range a.realDirs {
		if strings.HasPrefix(k, prefix) {
			delete(a.realDirs, k)
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
		if r.realDirs[next] {
			cur = next
			continue
		}
		fi, err := os.Lstat(r.host(next))
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
