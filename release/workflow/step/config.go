package step

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stella-ops/stella/fault"
)

// DecodeConfig decodes a node's config into v strictly: unknown fields and
// trailing data are refused. An empty or null config leaves v as it is (its
// defaults). The error is a *fault.ValidationError naming the field
// ("config.seconds"); it is final, never Retriable: a retry cannot fix it.
func DecodeConfig(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return configError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fault.Invalid("config", "trailing data after the config object")
	}
	return nil
}

func configError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := "config"
		if te.Field != "" {
			field += "." + te.Field
		}
		return fault.Invalid(field, "want %s, got JSON %s", te.Type, te.Value)
	case errors.As(err, &se):
		return fault.Invalid("config", "malformed JSON at offset %d: %v", se.Offset, se)
	}
	// encoding/json reports an unknown field only as text: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fault.Invalid("config."+strings.Trim(name, `"`), "unknown field")
	}
	return fault.Invalid("config", "%v", err)
}

// invalid is a final error about one config field.
func invalid(field, format string, args ...any) error {
	return fault.Invalid("config."+field, format, args...)
}

// missing is the final error of a step whose dependency the server left nil.
func missing(what string) error {
	return fmt.Errorf("no %s configured", what)
}
