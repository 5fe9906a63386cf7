package workflow

import (
	"encoding/json"
	"errors"
	"github.com/stella-ops/stella/internal/yamljson"
	"testing"

	"github.com/stella-ops/stella/fault"
)

// fields returns the field paths of a validation error.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve *fault.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *fault.ValidationError, got %v", err)
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

func mustParse(t testing.TB, src string) Template {
	t.Helper()
	tpl, err := ParseTemplate([]byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tpl
}

func mustRun(t testing.TB, src string, inputs map[string]any) *Run {
	t.Helper()
	r, err := NewRun("run-1", mustParse(t, src), inputs)
	if err != nil {
		t.Fatalf("new run: %v", err)
	}
	return r
}

// yamlToJSON lets table cases be written in YAML flow style.
func yamlToJSON(t *testing.T, src string) string {
	t.Helper()
	var v any
	if err := yamljson.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
