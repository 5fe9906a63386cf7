package step

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRetriable(t *testing.T) {
	base := errors.New("boom")
	if IsRetriable(base) {
		t.Fatal("a plain error is final")
	}
	r := Retriable(base)
	if !IsRetriable(r) || !errors.Is(r, base) || r.Error() != "boom" {
		t.Fatalf("Retriable(boom) = %v, retriable %v", r, IsRetriable(r))
	}
	if w := fmt.Errorf("attempt 2: %w", r); !IsRetriable(w) {
		t.Fatal("a wrapped retriable error stays retriable")
	}
	if Retriable(nil) != nil {
		t.Fatal("Retriable(nil) must be nil")
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	noop := StepFunc(func(context.Context, Input) (Output, error) { return Output{Values: map[string]any{"ok": true}}, nil })
	r.Register("b", noop)
	r.Register("a", noop)
	if got := r.Types(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Types = %v", got)
	}
	if !r.Known("a") || r.Known("c") {
		t.Fatal("Known is wrong")
	}
	s, ok := r.Lookup("b")
	if !ok {
		t.Fatal("Lookup(b) missing")
	}
	out, err := s.Run(context.Background(), Input{})
	if err != nil || out.Values["ok"] != true {
		t.Fatalf("Run = %v, %v", out, err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate Register must panic")
		}
	}()
	r.Register("a", noop)
}

func TestDecodeConfig(t *testing.T) {
	type cfg struct {
		Seconds int    `json:"seconds"`
		Name    string `json:"name"`
	}
	for _, tc := range []struct {
		raw, wantErr string
	}{
		{``, ""},
		{`null`, ""},
		{`{"seconds": 3}`, ""},
		{`{"secnds": 3}`, "config.secnds: unknown field"},
		{`{"seconds": "3"}`, "config.seconds: want int"},
		{`{"seconds": 3} {}`, "config: trailing data"},
		{`{"seconds": `, "config: "},
	} {
		var c cfg
		err := DecodeConfig([]byte(tc.raw), &c)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tc.raw, err)
		case tc.wantErr != "" && (err == nil || !contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: err %v, want %q", tc.raw, err, tc.wantErr)
		case err != nil && IsRetriable(err):
			t.Errorf("%q: a config error must be final", tc.raw)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
