package canon

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
)

// sameAsReference checks canonical against jcs.Transform on json.Marshal's
// output of v.
func sameAsReference(t testing.TB, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want, werr := jcs.Transform(raw)
	got, gerr := canonical(raw)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("reference error %v, fast error %v for %s", werr, gerr, raw)
	}
	if werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("for %s\nfast      %s\nreference %s", raw, got, want)
	}
}

func TestCanonicalMatchesReferenceOnEdgeCases(t *testing.T) {
	for _, v := range []any{
		map[string]any{"b": 1, "a": 2, "A": 3, "": 4, "aa": 5, "a\u0000": 6},
		map[string]any{"€": 1, "\U0001F600": 2, "\uFB33": 3, "\u00e9": 4, "e": 5, "\uFFFF": 6, "\U00010000": 7},
		[]any{0.0, math.Copysign(0, -1), 1e21, 1e20, 123456789012345678.0, 5e-324, 1.7976931348623157e308, -1.5, 0.1, 1e-7, 2.5e-7, 100.0},
		[]any{int64(9007199254740993), int64(-42), uint64(1 << 63), 999999999999999, 1000000000000000},
		"<html> & \u2028\u2029 \"quoted\" back\\slash \t\n\r\b\f \u0001\u001f \x7f é 😀",
		map[string]any{"nested": map[string]any{"z": []any{map[string]any{"y": nil, "x": true}}, "a": false}},
		json.RawMessage(`{"b":1,"a":[1.0,2.50,-0.0]}`),
		[]any{}, map[string]any{}, "", nil, true,
		struct {
			T time.Time `json:"t"`
			Z string    `json:"z"`
			A []byte    `json:"a"`
		}{time.Date(2026, 3, 1, 12, 0, 0, 123, time.FixedZone("x", 3600)), "z", []byte{0, 1, 2, 250}},
		string([]byte{0xff, 'a', 0xc3}), // invalid UTF-8 becomes U+FFFD
	} {
		sameAsReference(t, v)
	}
}

func TestCanonicalMatchesReferenceOnRandomValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		sameAsReference(t, randomValue(r, 0))
	}
}

func TestCanonicalMatchesReferenceOnTestVectors(t *testing.T) {
	// The reference implementation's own inputs: every one must give the
	// same bytes through json round trip (duplicates and invalid text are
	// the reference's business, not ours).
	files, _ := filepath.Glob(filepath.Join(jcsDir(t), "testdata", "input", "*.json"))
	if len(files) == 0 {
		t.Fatalf("no test vectors under %s: is GOMODCACHE set?", jcsDir(t))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		sameAsReference(t, v)
	}
}

// jcsDir is the module directory of gowebpki/jcs, when it is in the cache.
func jcsDir(t *testing.T) string {
	gomodcache := os.Getenv("GOMODCACHE")
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); gomodcache == "" && err == nil {
		gomodcache = strings.TrimSpace(string(out))
	}
	if gomodcache == "" {
		home, _ := os.UserHomeDir()
		gomodcache = filepath.Join(home, "go", "pkg", "mod")
	}
	return filepath.Join(gomodcache, "github.com", "gowebpki", "jcs@v1.0.2")
}

func randomValue(r *rand.Rand, depth int) any {
	k := r.IntN(8)
	if depth > 4 {
		k = r.IntN(4)
	}
	switch k {
	case 0:
		return randomString(r)
	case 1:
		switch r.IntN(4) {
		case 0:
			return r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30))
		case 1:
			return float64(r.Int64N(1<<62) - 1<<61)
		case 2:
			return r.IntN(1000)
		default:
			return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7fe))<<52)
		}
	case 2:
		return r.IntN(2) == 0
	case 3:
		return nil
	case 4, 5:
		m := map[string]any{}
		for range r.IntN(6) {
			m[randomString(r)] = randomValue(r, depth+1)
		}
		return m
	default:
		a := make([]any, r.IntN(5))
		for i := range a {
			a[i] = randomValue(r, depth+1)
		}
		return a
	}
}

func randomString(r *rand.Rand) string {
	alphabet := []string{"a", "B", "z", "0", "é", "€", "😀", "\uFB33", "\uFFFD", "\u2028", "<", "&", "\"", "\\", "\n", "\u0001", " ", "\U00010437", "\uE000"}
	var b strings.Builder
	for range r.IntN(6) {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// FuzzCanonical feeds any JSON through json.Marshal, as Marshal does, and
// holds the fast canonicalizer to the reference.
func FuzzCanonical(f *testing.F) {
	f.Add([]byte(`{"b":[1,2.5e-7,"x"],"a":{"€":null,"😀":true}}`))
	f.Add([]byte(`[1e21,-0,5e-324,"\u2028<&>"]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		sameAsReference(t, v)
	})
}

func BenchmarkMarshal(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := make([]any, 2000)
	for i := range vals {
		vals[i] = map[string]any{"id": i, "name": randomString(r), "score": r.Float64(), "tags": []any{"a", "b"}, "nested": randomValue(r, 2)}
	}
	raw, _ := json.Marshal(vals)
	b.SetBytes(int64(len(raw)))
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := canonical(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jcs.Transform(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
