package osv

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
)

// convert validates a wire record and maps it into the model.
func convert(rec *record) (*advisory.Advisory, error) {
	bad := func(field, format string, args ...any) error {
		return &advisory.ValidationError{Feed: "osv", ID: rec.ID, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(rec.ID) == "" {
		return nil, bad("id", "required field is missing or empty")
	}
	if rec.Modified == nil {
		return nil, bad("modified", "required field is missing")
	}
	a := &advisory.Advisory{
		ID: strings.TrimSpace(rec.ID), Aliases: rec.Aliases, Related: rec.Related,
		Summary: rec.Summary, Details: rec.Details, References: rec.References, Source: "osv",
	}
	var err error
	if a.Modified, err = parseTime(*rec.Modified); err != nil {
		return nil, bad("modified", "%v", err)
	}
	if a.Published, err = parseOptionalTime(rec.Published); err != nil {
		return nil, bad("published", "%v", err)
	}
	if a.Withdrawn, err = parseOptionalTime(rec.Withdrawn); err != nil {
		return nil, bad("withdrawn", "%v", err)
	}
	if a.Severity, err = severities(rec.Severity, "severity"); err != nil {
		return nil, bad("", "%v", err)
	}
	for i, r := range rec.References {
		if r.URL == "" || r.Type == "" {
			return nil, bad(fmt.Sprintf("references[%d]", i), "type and url are required")
		}
	}
	for i := range rec.Affected {
		aff, err := convertAffected(&rec.Affected[i], fmt.Sprintf("affected[%d]", i))
		if err != nil {
			return nil, bad("", "%v", err)
		}
		a.Affected = append(a.Affected, aff.Affected)
		// Per-package severity (OSV 1.3) is folded into the record's list.
		for _, s := range aff.severity {
			if !slices.ContainsFunc(a.Severity, func(x advisory.Severity) bool { return x.Type == s.Type && x.Score == s.Score }) {
				a.Severity = append(a.Severity, s)
			}
		}
	}
	return a, nil
}

type affectedOut struct {
	advisory.Affected
	severity []advisory.Severity
}

func convertAffected(in *affected, path string) (affectedOut, error) {
	var out affectedOut
	if in.Package != nil {
		if in.Package.Ecosystem == "" || in.Package.Name == "" {
			return out, fmt.Errorf("%s.package: ecosystem and name are required", path)
		}
		out.Package = *in.Package
	}
	out.Versions = in.Versions
	sev, err := severities(in.Severity, path+".severity")
	if err != nil {
		return out, err
	}
	out.severity = sev
	for j, r := range in.Ranges {
		rp := fmt.Sprintf("%s.ranges[%d]", path, j)
		rt := advisory.RangeType(r.Type)
		switch rt {
		case advisory.RangeSemver, advisory.RangeEcosystem:
		case advisory.RangeGit:
			if r.Repo == "" {
				return out, fmt.Errorf("%s.repo: required for GIT ranges", rp)
			}
		default:
			return out, fmt.Errorf("%s.type: %q is not SEMVER, ECOSYSTEM or GIT", rp, r.Type)
		}
		if len(r.Events) == 0 {
			return out, fmt.Errorf("%s.events: at least one event is required", rp)
		}
		rng := advisory.Range{Type: rt, Repo: r.Repo}
		for k, raw := range r.Events {
			ev, err := event(raw)
			if err != nil {
				return out, fmt.Errorf("%s.events[%d]: %v", rp, k, err)
			}
			rng.Events = append(rng.Events, ev)
		}
		out.Ranges = append(out.Ranges, rng)
	}
	return out, nil
}

// event decodes one event object, which must hold exactly one known key.
func event(raw json.RawMessage) (advisory.Event, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return advisory.Event{}, fmt.Errorf("not an object: %v", err)
	}
	if len(m) != 1 {
		return advisory.Event{}, fmt.Errorf("must hold exactly one of introduced, fixed, last_affected, limit (has %d keys)", len(m))
	}
	var e advisory.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return advisory.Event{}, err
	}
	if kind, _ := e.Kind(); kind == "" {
		for k := range m {
			return advisory.Event{}, fmt.Errorf("unknown or empty event %q", k)
		}
	}
	return e, nil
}

// severities validates CVSS vectors and computes v3 base scores; other
// types (CVSS_V2, Ubuntu, …) are kept as given, unscored.
func severities(in []advisory.Severity, path string) ([]advisory.Severity, error) {
	out := make([]advisory.Severity, 0, len(in))
	for i, s := range in {
		if s.Type == "" || s.Score == "" {
			return nil, fmt.Errorf("%s[%d]: type and score are required", path, i)
		}
		s.BaseScore = nil // never trust a score in the input; compute it
		if s.Type == advisory.CVSSv3 || s.Type == advisory.CVSSv4 {
			if err := advisory.ScoreSeverity(&s); err != nil {
				return nil, fmt.Errorf("%s[%d].score: %v", path, i, err)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// parseTime reads an RFC 3339 timestamp into UTC; the zero time
// ("0001-01-01T00:00:00Z", as Go vulndb writes) is valid.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 timestamp: %q", s)
	}
	return t.UTC(), nil
}

func parseOptionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}
