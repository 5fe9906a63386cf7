package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// FuzzParseJSON checks the input parser against OPA's own conversion: the
// same value for valid JSON, an error for anything else.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `-0.5e+3`, `"a\u00e9\ud83d\ude00\n"`, `{"a":1,"a":2}`,
		`{"b": [1, 2.50, {"c": null}], "a": "x"}`, `1e400`, `01`, `[1,]`, `{"a" 1}`, "\"\xff\"", `"` + strings.Repeat("k", 40) + `"`,
		" [ true , false ] ", `1 2`, `-`, `1.`, `1e`, `"\x"`,
	} {
		f.Add([]byte(s))
	}
	if raw, err := os.ReadFile("testdata/release/data.json"); err == nil {
		f.Add(raw)
	}
	small, _ := json.Marshal(releaseInput(3, 1, "production"))
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, err := parseJSON(data)
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q as %v", data, ours)
			}
			return
		}
		theirs, theirErr := ast.ValueFromReader(bytes.NewReader(data))
		if theirErr != nil {
			if err == nil {
				t.Fatalf("OPA refuses %q (%v); we accept it as %v", data, theirErr, ours)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused valid JSON %q: %v (OPA: %v)", data, err, theirs)
		}
		if ours.Compare(theirs) != 0 {
			t.Fatalf("%q: ours %v, OPA %v", data, ours, theirs)
		}
	})
}

// FuzzFromFiles feeds arbitrary paths and contents to FromFiles and Prepare:
// they may refuse, but never panic, and an accepted bundle round-trips.
func FuzzFromFiles(f *testing.F) {
	f.Add("release.rego", []byte(kevPolicy), "data.json", []byte(`{"a": 1}`))
	f.Add("a/b.rego", []byte("package stella.release\n\ndeny := set()\n"), "a/b_test.rego", []byte("package x\n"))
	f.Add("../x.rego", []byte("package p"), "data.json", []byte(`[]`))
	f.Add("p.rego", []byte("package stella.release\n\ndeny contains {\"code\": \"x\", \"message\": sprintf(\"%v\", [http.send({})])}\n"), "q.rego", []byte("package q\n\nx := {"))
	f.Fuzz(func(t *testing.T, p1 string, c1 []byte, p2 string, c2 []byte) {
		files := map[string][]byte{p1: c1, p2: c2}
		b, err := FromFiles(files)
		if err != nil {
			return
		}
		again, err := FromFiles(b.Files())
		if err != nil || again.Digest() != b.Digest() {
			t.Fatalf("round trip: %v, digest %s vs %s", err, again.Digest(), b.Digest())
		}
		p, err := Prepare(t.Context(), b)
		if err != nil {
			if KindOf(err) != KindCompile {
				t.Fatalf("Prepare error %v is not a compile error", err)
			}
			return
		}
		_, err = p.Eval(t.Context(), smallInput("production"), cutoff, EvalTimeout(2*time.Second))
		if err != nil && KindOf(err) == 0 {
			t.Fatalf("Eval error %v is not a *policy.Error", err)
		}
	})
}
