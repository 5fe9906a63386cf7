package osv

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "osv/1"

// maxDocument bounds one JSON document (the largest OSV records are a few
// hundred KiB; distro records with long version lists a few MiB).
const maxDocument = 64 << 20

// Read parses one OSV document — a record object or an array of records —
// into observations, in input order.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadPath reads a single JSON file, every *.json file under a directory
// (lexical order), or every *.json entry of a .zip archive.
func ReadPath(p string) ([]advisory.Observation, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("osv: %w", err)
	}
	if fi.IsDir() {
		return ReadDir(os.DirFS(p), p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("osv: %w", err)
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(p), ".zip") {
		return ReadZip(f, fi.Size(), p)
	}
	return readNamed(f, p)
}

// ReadDir reads every *.json file in fsys, walking it in lexical order.
// label prefixes file names in errors.
func ReadDir(fsys fs.FS, label string) ([]advisory.Observation, error) {
	var out []advisory.Observation
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.EqualFold(path.Ext(name), ".json") {
			return nil
		}
		f, err := fsys.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		obs, err := readNamed(f, path.Join(filepath.ToSlash(label), name))
		out = append(out, obs...)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// ReadZip reads every *.json entry of a zip archive, in entry-name order.
func ReadZip(r io.ReaderAt, size int64, label string) ([]advisory.Observation, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("osv: %s: %w", label, err)
	}
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	var out []advisory.Observation
	for _, zf := range files {
		if zf.FileInfo().IsDir() || !strings.EqualFold(path.Ext(zf.Name), ".json") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("osv: %s!%s: %w", label, zf.Name, err)
		}
		obs, err := readNamed(rc, label+"!"+zf.Name)
		rc.Close()
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, obs...)
	}
	return out, nil
}

// Advisories returns the parsed advisories of observations, in order.
func Advisories(obs []advisory.Observation) []advisory.Advisory {
	out := make([]advisory.Advisory, 0, len(obs))
	for _, o := range obs {
		if o.Advisory != nil {
			out = append(out, *o.Advisory)
		}
	}
	return out
}

func wrap(err error) error {
	var ve *advisory.ValidationError
	if errors.As(err, &ve) {
		return err
	}
	if strings.HasPrefix(err.Error(), "osv: ") {
		return err
	}
	return fmt.Errorf("osv: %w", err)
}

// readNamed reads one document; name labels errors.
func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fileErr(name, "", fmt.Sprintf("read: %v", err))
	}
	if len(raw) > maxDocument {
		return nil, fileErr(name, "", fmt.Sprintf("document larger than %d bytes", maxDocument))
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var docs []json.RawMessage
		if err := json.Unmarshal(trimmed, &docs); err != nil {
			return nil, fileErr(name, "", fmt.Sprintf("invalid JSON: %v", err))
		}
		out := make([]advisory.Observation, 0, len(docs))
		for i, d := range docs {
			o, err := observe(d, name)
			if err != nil {
				return nil, withField(err, fmt.Sprintf("[%d]", i))
			}
			out = append(out, o)
		}
		return out, nil
	}
	o, err := observe(trimmed, name)
	if err != nil {
		return nil, err
	}
	return []advisory.Observation{o}, nil
}

func fileErr(name, id, msg string) error {
	return &advisory.ValidationError{Feed: "osv", File: name, ID: id, Msg: msg}
}

func withField(err error, prefix string) error {
	var ve *advisory.ValidationError
	if errors.As(err, &ve) {
		ve.Field = strings.TrimSuffix(prefix+"."+ve.Field, ".")
	}
	return err
}

// observe parses, validates and wraps one record.
func observe(raw []byte, name string) (advisory.Observation, error) {
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return advisory.Observation{}, fileErr(name, "", fmt.Sprintf("invalid OSV record: %v", err))
	}
	adv, err := convert(&rec)
	if err != nil {
		var ve *advisory.ValidationError
		if errors.As(err, &ve) {
			ve.File = name
		}
		return advisory.Observation{}, err
	}
	hash, err := advisory.ContentHash(raw)
	if err != nil {
		return advisory.Observation{}, fileErr(name, adv.ID, err.Error())
	}
	return advisory.Observation{
		Source:      advisory.SourceRef{ID: "osv", ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: adv.ID, Modified: adv.Modified},
		ContentHash: hash,
		Content:     advisory.Content{Format: "osv", SpecVersion: rec.SchemaVersion, Raw: bytes.Clone(raw)},
		Identifiers: advisory.NewIdentifiers(adv.ID, adv.Aliases),
		Hints:       hints(adv),
		Advisory:    adv,
	}, nil
}

// hints lists the affected packages' purls without version or qualifiers,
// sorted and deduplicated.
func hints(a *advisory.Advisory) advisory.Hints {
	h := advisory.Hints{PURLs: []string{}, CPEs: []string{}}
	for _, af := range a.Affected {
		p := af.Package.PURL
		if p == "" {
			continue
		}
		p, _, _ = strings.Cut(p, "?")
		p, _, _ = strings.Cut(p, "#")
		if i := strings.LastIndex(p, "@"); i > strings.LastIndex(p, "/") {
			p = p[:i]
		}
		h.PURLs = append(h.PURLs, p)
	}
	slices.Sort(h.PURLs)
	h.PURLs = slices.Compact(h.PURLs)
	return h
}
