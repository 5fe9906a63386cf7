package epss

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/internal/canon"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "epss/1"

// SourceID is the advisory source id (advisory.md §1).
const SourceID = "epss"

// maxDocument bounds the decompressed CSV (about 10 MiB for 270,000 CVEs
// in 2025); it also stops gzip bombs.
const maxDocument = 256 << 20

// File is one daily EPSS file.
type File struct {
	ModelVersion string    // e.g. "v2023.03.01"
	ScoreDate    time.Time // UTC
	Scores       []Score   // sorted by CVE
}

// Score is one CVE's exploit-prediction score.
type Score struct {
	CVE          string
	Score        float64 // probability of exploitation in the next 30 days, 0..1, 6 decimals
	Percentile   float64 // 0..1, 6 decimals
	ModelVersion string
	ScoreDate    string // YYYY-MM-DD
}

// Parse reads and validates one daily file, plain or gzip.
func Parse(r io.Reader) (*File, error) {
	f, _, err := parseNamed(r, "")
	return f, err
}

// Read wraps one daily file, plain or gzip, as one observation.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadFile reads one daily file; errors name it.
func ReadFile(path string) ([]advisory.Observation, error) {
	return advisory.ReadFile(path, "epss", readNamed)
}

// FromObservation parses the scores kept in an observation's raw content.
func FromObservation(o advisory.Observation) (*File, error) {
	f, _, err := parseNamed(bytes.NewReader(o.Content.Raw), o.ID)
	return f, err
}

// Map returns the score of every CVE in the file.
func (f *File) Map() map[string]advisory.EPSS {
	m := make(map[string]advisory.EPSS, len(f.Scores))
	for _, s := range f.Scores {
		m[s.CVE] = advisory.EPSS{Score: s.Score, Percentile: s.Percentile, ModelVersion: s.ModelVersion, ScoreDate: s.ScoreDate}
	}
	return m
}

func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	f, raw, err := parseNamed(r, name)
	if err != nil {
		return nil, err
	}
	date := f.ScoreDate.Format(time.DateOnly)
	return []advisory.Observation{{
		Source:      advisory.SourceRef{ID: SourceID, ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: date, DocumentVersion: f.ModelVersion, Modified: f.ScoreDate},
		ContentHash: ContentHash(raw),
		Content:     advisory.Content{Format: "epss-csv", SpecVersion: f.ModelVersion, Raw: raw},
		Identifiers: advisory.NewIdentifiers(date, nil),
		Hints:       advisory.Hints{PURLs: []string{}, CPEs: []string{}},
		Advisory:    &advisory.Advisory{ID: date, Modified: f.ScoreDate, Source: SourceID},
	}}, nil
}

// ContentHash is "sha256:" of CSV bytes with CRLF line endings turned into
// LF (advisory.md §2), so a file saved on Windows hashes the same.
func ContentHash(csv []byte) string {
	return canon.SHA256(bytes.ReplaceAll(csv, []byte("\r\n"), []byte("\n")))
}

// parseNamed decompresses if needed, validates and returns the file with
// the CSV bytes.
func parseNamed(r io.Reader, name string) (*File, []byte, error) {
	bad := func(line int, field, format string, args ...any) error {
		return &advisory.ValidationError{Feed: SourceID, File: name, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, bad(0, "", "gzip: %v", err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, nil, bad(0, "", "read: %v", err)
	}
	if len(raw) > maxDocument {
		return nil, nil, bad(0, "", "document larger than %d bytes", maxDocument)
	}
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "#") {
		return nil, nil, bad(1, "", "missing header comment #model_version:…,score_date:…")
	}
	f := &File{}
	for _, kv := range strings.Split(strings.TrimPrefix(lines[0], "#"), ",") {
		k, v, _ := strings.Cut(kv, ":")
		switch k = strings.TrimSpace(k); k {
		case "model_version":
			f.ModelVersion = strings.TrimSpace(v)
		case "score_date":
			if f.ScoreDate, err = parseDate(strings.TrimSpace(v)); err != nil {
				return nil, nil, bad(1, "score_date", "%v", err)
			}
		}
	}
	if f.ModelVersion == "" {
		return nil, nil, bad(1, "model_version", "required in the header comment")
	}
	if f.ScoreDate.IsZero() {
		return nil, nil, bad(1, "score_date", "required in the header comment")
	}
	if len(lines) < 2 || strings.TrimSpace(lines[1]) != "cve,epss,percentile" {
		return nil, nil, bad(2, "", "column header must be cve,epss,percentile")
	}
	date := f.ScoreDate.Format(time.DateOnly)
	seen := make(map[string]int, len(lines))
	for i, line := range lines[2:] {
		n := i + 3
		cols := strings.Split(line, ",")
		if len(cols) != 3 {
			return nil, nil, bad(n, "", "want 3 columns cve,epss,percentile, got %d", len(cols))
		}
		s := Score{CVE: strings.TrimSpace(cols[0]), ModelVersion: f.ModelVersion, ScoreDate: date}
		if !isCVE(s.CVE) {
			return nil, nil, bad(n, "cve", "%q is not a CVE id", cols[0])
		}
		if first, dup := seen[s.CVE]; dup {
			return nil, nil, bad(n, "cve", "%s listed again (first on line %d)", s.CVE, first)
		}
		seen[s.CVE] = n
		if s.Score, err = probability(cols[1]); err != nil {
			return nil, nil, bad(n, "epss", "%v", err)
		}
		if s.Percentile, err = probability(cols[2]); err != nil {
			return nil, nil, bad(n, "percentile", "%v", err)
		}
		f.Scores = append(f.Scores, s)
	}
	slices.SortFunc(f.Scores, func(a, b Score) int { return strings.Compare(a.CVE, b.CVE) })
	return f, raw, nil
}

// probability parses a number in [0, 1] and rounds it to 6 decimals.
func probability(s string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || x < 0 || x > 1 {
		return 0, fmt.Errorf("%q is not a number between 0 and 1", s)
	}
	return math.Round(x*1e6) / 1e6, nil
}

// parseDate reads the header's score_date: "2024-06-01T00:00:00+0000" as
// FIRST writes it, RFC 3339, or a bare date.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// isCVE reports whether s is CVE-YYYY-NNNN (four or more digits).
func isCVE(s string) bool {
	rest, ok := strings.CutPrefix(s, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' {
		return false
	}
	for i, c := range rest {
		if i != 4 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
