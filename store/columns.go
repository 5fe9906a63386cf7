package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Lists and maps are kept as JSON text, the one form both databases read the same way.

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode column: %w", err)
	}
	return string(b), nil
}

func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("store: decode column: %w", err)
	}
	return nil
}

// jsonColumns encodes several values, stopping at the first error.
type jsonColumns struct{ err error }

func (j *jsonColumns) put(dst *string, v any) {
	if j.err == nil {
		*dst, j.err = toJSON(v)
	}
}

func (j *jsonColumns) get(src string, v any) {
	if j.err == nil {
		j.err = fromJSON(src, v)
	}
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Times are stored in UTC and read back in UTC: drivers may hand back local time.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// contains returns a condition on col holding sub, ignoring case, and its argument.
func (s *store) contains(col, sub string) (string, string) {
	// '!' escapes LIKE's wildcards in sub.
	pattern := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(sub) + "%"
	if s.dialect == DialectPostgres {
		return col + " ILIKE ? ESCAPE '!'", pattern
	}
	// SQLite's LIKE ignores ASCII case already; lower() would cost a call per row.
	return col + " LIKE ? ESCAPE '!'", pattern
}
