package debian

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/stella-ops/stella/advisory"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "debian/1"

// SourceID is the advisory source id (advisory.md §1).
const SourceID = "debian"

// maxDocument bounds the tracker file (about 80 MiB in 2025).
const maxDocument = 1 << 30

// Releases maps the codenames the tracker uses to OSV release numbers.
func Releases() map[string]string {
	return map[string]string{
		"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
	}
}

// Tracker statuses.
const (
	StatusResolved     = "resolved"
	StatusOpen         = "open"
	StatusUndetermined = "undetermined"
)

// notAffected is the fixed_version meaning "this release never had the bug".
const notAffected = "0"

type entryJSON struct {
	Description string                 `json:"description"`
	Releases    map[string]releaseJSON `json:"releases"`
}

type releaseJSON struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
}

// Read parses a tracker document into one observation per (source package,
// CVE), sorted by package and then id.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadFile reads one tracker file; errors name it.
func ReadFile(path string) ([]advisory.Observation, error) {
	return advisory.ReadFile(path, "debian", readNamed)
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

func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("read: %v", err)}
	}
	if len(raw) > maxDocument {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("document larger than %d bytes", maxDocument)}
	}
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf(`not a tracker document {package: {CVE: {…}}}: %v`, err)}
	}
	var out []advisory.Observation
	for _, pkg := range slices.Sorted(maps.Keys(doc)) {
		if strings.TrimSpace(pkg) == "" {
			return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: "empty source package name"}
		}
		for _, id := range slices.Sorted(maps.Keys(doc[pkg])) {
			o, err := observe(pkg, id, doc[pkg][id])
			if err != nil {
				err.File = name
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

func observe(pkg, id string, entry json.RawMessage) (advisory.Observation, *advisory.ValidationError) {
	upstream := pkg + "/" + id
	bad := func(field, format string, args ...any) *advisory.ValidationError {
		return &advisory.ValidationError{Feed: SourceID, ID: upstream, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(id) == "" {
		return advisory.Observation{}, bad("", "empty vulnerability id")
	}
	var e entryJSON
	if err := json.Unmarshal(entry, &e); err != nil {
		return advisory.Observation{}, bad("", "invalid entry: %v", err)
	}
	adv := &advisory.Advisory{ID: strings.TrimSpace(id), Details: e.Description, Source: SourceID}
	releases := Releases()
	var codenames []string
	for c := range e.Releases {
		if _, ok := releases[c]; ok {
			codenames = append(codenames, c)
		}
	}
	slices.SortFunc(codenames, func(a, b string) int {
		x, _ := strconv.Atoi(releases[a])
		y, _ := strconv.Atoi(releases[b])
		return cmp.Compare(x, y)
	})
	for _, c := range slices.Sorted(maps.Keys(e.Releases)) {
		if rel := e.Releases[c]; rel.Status != StatusResolved && rel.Status != StatusOpen && rel.Status != StatusUndetermined {
			return advisory.Observation{}, bad("releases."+c+".status", "%q is not resolved, open or undetermined", rel.Status)
		}
	}
	for _, c := range codenames {
		rel := e.Releases[c]
		fixed := strings.TrimSpace(rel.FixedVersion)
		if rel.Status == StatusResolved && fixed == "" {
			return advisory.Observation{}, bad("releases."+c+".fixed_version", "required when status is resolved")
		}
		if rel.Status == StatusResolved && fixed == notAffected {
			continue
		}
		r := advisory.Range{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "0"}}}
		if rel.Status == StatusResolved {
			r.Events = append(r.Events, advisory.Event{Fixed: fixed})
		}
		adv.Affected = append(adv.Affected, advisory.Affected{
			Package: advisory.Package{Ecosystem: "Debian:" + releases[c], Name: pkg},
			Ranges:  []advisory.Range{r},
		})
	}
	// The raw content is a tracker document holding just this entry.
	raw, err := json.Marshal(map[string]map[string]json.RawMessage{pkg: {id: entry}})
	if err != nil {
		return advisory.Observation{}, bad("", "%v", err)
	}
	hash, err := advisory.ContentHash(raw)
	if err != nil {
		return advisory.Observation{}, bad("", "%v", err)
	}
	return advisory.Observation{
		Source:      advisory.SourceRef{ID: SourceID, ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: upstream},
		ContentHash: hash,
		Content:     advisory.Content{Format: "debian-security-tracker", Raw: raw},
		Identifiers: advisory.NewIdentifiers(adv.ID, nil),
		Hints:       advisory.Hints{PURLs: []string{"pkg:deb/debian/" + pkg}, CPEs: []string{}},
		Advisory:    adv,
	}, nil
}
