package canon

import (
	"strings"
	"testing"
)

func TestMarshalSortsKeysAndFormatsNumbers(t *testing.T) {
	got, err := Marshal(map[string]any{"b": 1.0, "a": []any{"x", 2.5e-7}, "€": true, "A": nil})
	if err != nil {
		t.Fatal(err)
	}
	// RFC 8785: keys sorted by UTF-16 code units, ES6 number formatting.
	want := `{"A":null,"a":["x",2.5e-7],"b":1,"€":true}`
	if string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestDigestIsStableAcrossKeyOrder(t *testing.T) {
	a, err := Digest(map[string]int{"x": 1, "y": 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Transform([]byte(`{ "y": 2, "x": 1 }`))
	if err != nil {
		t.Fatal(err)
	}
	if a != SHA256(b) || !strings.HasPrefix(a, "sha256:") || len(a) != 71 {
		t.Fatalf("digest %q does not match canonical bytes %s", a, b)
	}
}

func TestTransformRejectsInvalidJSON(t *testing.T) {
	if _, err := Transform([]byte(`{"a":`)); err == nil {
		t.Fatal("want an error for truncated JSON")
	}
}
