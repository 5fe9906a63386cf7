// Package scalar holds the GraphQL custom scalars. Their parse errors are
// validation errors that name the bad value, so malformed input is VALIDATION.
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stella-ops/stella/fault"
)

// MarshalTime writes t as RFC 3339 in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 string.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalidTime(fmt.Sprintf("%v", v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalidTime(s)
	}
	return t.UTC(), nil
}

func invalidTime(s string) error {
	return fault.Invalid("time", "%q is not an RFC 3339 time such as 2026-11-28T12:00:00Z", s)
}
