package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKEVInProductionIsDenied(t *testing.T) {
	p := mustPrepare(t, map[string]string{"release.rego": kevPolicy})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{{Code: "kev-in-prod", Message: "CVE-2026-0001 is known-exploited"}}
	if !slices.Equal(out.Deny, want) || len(out.Warn) != 0 || !out.Denied() {
		t.Errorf("out = %+v, want deny %v only", out, want)
	}

	out, err = p.Eval(t.Context(), smallInput("staging"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if out.Deny == nil || len(out.Deny) != 0 || out.Denied() {
		t.Errorf("staging: deny = %#v, want an empty, non-nil list", out.Deny)
	}
}

func TestMissingDenyIsUndefined(t *testing.T) {
	for name, src := range map[string]string{
		"no deny rule":    "package stella.release\n\nwarn contains {\"code\": \"x\", \"message\": \"y\"} if { true }\n",
		"other package":   strings.Replace(kevPolicy, "stella.release", "stella.other", 1),
		"deny never true": "package stella.release\n\ndeny := d if { d := set(); false }\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := mustPrepare(t, map[string]string{"p.rego": src})
			_, err := p.Eval(t.Context(), smallInput("production"), cutoff)
			if e := wantKind(t, err, KindUndefined); e.ReasonCode() != "policy.undefined" {
				t.Errorf("reason %s", e.ReasonCode())
			}
		})
	}
}

func TestMalformedOutputIsInvalid(t *testing.T) {
	cases := map[string]string{
		"element not an object": `deny contains "kev"`,
		"code missing":          `deny contains {"message": "m"}`,
		"message missing":       `deny contains {"code": "c"}`,
		"code not a string":     `deny contains {"code": 1, "message": "m"}`,
		"message not a string":  `deny contains {"code": "c", "message": ["m"]}`,
		"extra key":             `deny contains {"code": "c", "message": "m", "finding": "f"}`,
		"deny not a set":        `deny := "nope"`,
		"deny an object":        `deny := {"code": "c", "message": "m"}`,
		"upper-case code":       `deny contains {"code": "KEV", "message": "m"}`,
		"code with a space":     `deny contains {"code": "kev in prod", "message": "m"}`,
		"code starts with dash": `deny contains {"code": "-kev", "message": "m"}`,
		"empty code":            `deny contains {"code": "", "message": "m"}`,
		"code too long":         `deny contains {"code": "` + strings.Repeat("a", 65) + `", "message": "m"}`,
		"bad warn element":      "deny := set()\nwarn contains {\"code\": \"Bad\", \"message\": \"m\"}",
		"warn not a set":        "deny := set()\nwarn := 3",
	}
	for name, rule := range cases {
		t.Run(name, func(t *testing.T) {
			p := mustPrepare(t, map[string]string{"p.rego": "package stella.release\n\n" + rule + "\n"})
			out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
			if e := wantKind(t, err, KindInvalidOutput); e.ReasonCode() != "policy.invalid-output" {
				t.Errorf("reason %s", e.ReasonCode())
			}
			if out.Deny != nil || out.Warn != nil {
				t.Errorf("output %+v alongside the error", out)
			}
		})
	}
}

func TestLongestAllowedCodeAndArrayOutputAreAccepted(t *testing.T) {
	code := "a" + strings.Repeat("0._-", 15) + "xyz" // 64 characters
	p := mustPrepare(t, map[string]string{"p.rego": fmt.Sprintf(`package stella.release
deny := [{"code": %q, "message": "m"}, {"code": %q, "message": "m"}]
`, code, code)})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deny) != 1 || out.Deny[0].Code != code {
		t.Errorf("deny = %v, want one rule with the 64-character code", out.Deny)
	}
}

func TestRulesAreSortedAndDeduplicated(t *testing.T) {
	p := mustPrepare(t, map[string]string{"p.rego": `package stella.release
deny := [
	{"code": "b", "message": "2"},
	{"code": "a", "message": "9"},
	{"code": "b", "message": "1"},
	{"code": "a", "message": "9"},
]
warn contains {"code": "w", "message": f.advisoryId} if some f in input.findings
`})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	wantDeny := []Rule{{"a", "9"}, {"b", "1"}, {"b", "2"}}
	wantWarn := []Rule{{"w", "CVE-2026-0001"}, {"w", "CVE-2026-0002"}, {"w", "CVE-2026-0003"}}
	if !slices.Equal(out.Deny, wantDeny) || !slices.Equal(out.Warn, wantWarn) {
		t.Errorf("deny %v warn %v, want %v and %v", out.Deny, out.Warn, wantDeny, wantWarn)
	}
}

func TestWarnOnly(t *testing.T) {
	p := mustPrepare(t, map[string]string{"p.rego": `package stella.release
deny contains {"code": "never", "message": "m"} if false
warn contains {"code": "kev.in-grace", "message": f.advisoryId} if {
	some f in input.findings
	f.kev != null
	not f.active
}
`})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if out.Denied() || !slices.Equal(out.Warn, []Rule{{"kev.in-grace", "CVE-2026-0002"}}) {
		t.Errorf("out = %+v, want only a warning for CVE-2026-0002", out)
	}
}

func TestExcludedBuiltinsAreRejectedAtPrepare(t *testing.T) {
	calls := map[string]string{
		"http.send":          `http.send({"method": "GET", "url": "http://example.com"})`,
		"rand.intn":          `rand.intn("x", 10)`,
		"uuid.rfc4122":       `uuid.rfc4122("x")`,
		"uuid.parse":         `uuid.parse("00000000-0000-0000-0000-000000000000")`,
		"net.lookup_ip_addr": `net.lookup_ip_addr("example.com")`,
		"net.cidr_contains":  `net.cidr_contains("10.0.0.0/8", "10.1.2.3")`,
		"opa.runtime":        `opa.runtime()`,
		"io.jwt.encode_sign": `io.jwt.encode_sign({"alg": "HS256"}, {}, {"kty": "oct", "k": "eA"})`,
		"json.match_schema":  `json.match_schema({}, {})`,
		"crypto.x509.parse_and_verify_certificates": `crypto.x509.parse_and_verify_certificates("x")`,
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			src := fmt.Sprintf("package stella.release\n\ndeny contains {\"code\": \"x\", \"message\": sprintf(\"%%v\", [v])} if {\n\tv := %s\n}\n", call)
			_, err := Prepare(t.Context(), mustBundle(t, map[string]string{"net/p.rego": src}))
			e := wantKind(t, err, KindCompile)
			if !strings.Contains(err.Error(), "built-in "+name+" is not allowed") {
				t.Errorf("error does not name %s: %v", name, err)
			}
			if len(e.Messages) == 0 || e.Messages[0].File != "net/p.rego" || e.Messages[0].Row != 4 {
				t.Errorf("messages %v, want net/p.rego line 4", e.Messages)
			}
			if e.ReasonCode() != "policy.compile-error" {
				t.Errorf("reason %s", e.ReasonCode())
			}
		})
	}
	ex := ExcludedBuiltins()
	for name := range calls {
		if !slices.Contains(ex, name) {
			t.Errorf("ExcludedBuiltins() lacks %s", name)
		}
	}
	for _, allowed := range []string{"time.now_ns", "sprintf", "time.parse_rfc3339_ns", "io.jwt.decode_verify"} {
		if slices.Contains(ex, allowed) {
			t.Errorf("ExcludedBuiltins() has %s", allowed)
		}
	}
}

func TestTimeNowIsTheCutoff(t *testing.T) {
	p := mustPrepare(t, map[string]string{"p.rego": `package stella.release
deny contains {"code": "now", "message": sprintf("%d", [time.now_ns()])}
deny contains {"code": "cutoff-matches-input", "message": "yes"} if {
	time.now_ns() == time.parse_rfc3339_ns(input.clockCutoff)
}
`})
	for _, c := range []time.Time{cutoff, cutoff.Add(1234567 * time.Nanosecond), time.Date(2031, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))} {
		in := smallInput("production")
		in.ClockCutoff = c
		out, err := p.Eval(t.Context(), in, c)
		if err != nil {
			t.Fatal(err)
		}
		want := []Rule{{"cutoff-matches-input", "yes"}, {"now", fmt.Sprint(c.UnixNano())}}
		if !slices.Equal(out.Deny, want) {
			t.Errorf("cutoff %s: deny %v, want %v", c, out.Deny, want)
		}
	}
	if _, err := p.Eval(t.Context(), smallInput("production"), time.Time{}); err == nil || KindOf(err) != 0 {
		t.Errorf("zero cut-off: %v, want a caller error", err)
	}
}

func TestSyntaxErrorIsACompileErrorNamingTheFile(t *testing.T) {
	_, err := Prepare(t.Context(), mustBundle(t, map[string]string{
		"ok.rego":      kevPolicy,
		"lib/bad.rego": "package stella.lib\n\nx := {\n",
	}))
	e := wantKind(t, err, KindCompile)
	if len(e.Messages) == 0 || e.Messages[0].File != "lib/bad.rego" || e.Messages[0].Code != "rego_parse_error" {
		t.Fatalf("messages %v, want a parse error in lib/bad.rego", e.Messages)
	}
	if !strings.Contains(err.Error(), "lib/bad.rego:") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestCompileErrorsAreTyped(t *testing.T) {
	for name, src := range map[string]string{
		"unsafe var":     "package stella.release\n\ndeny contains x if { true }\n",
		"undefined func": "package stella.release\n\ndeny contains x if { x := no.such.fn(1) }\n",
		"rego v0 syntax": "package stella.release\n\ndeny[x] { x := 1 }\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Prepare(t.Context(), mustBundle(t, map[string]string{"p.rego": src}))
			e := wantKind(t, err, KindCompile)
			if len(e.Messages) == 0 || e.Messages[0].File != "p.rego" || e.Messages[0].Row == 0 {
				t.Errorf("messages %v, want a located message in p.rego", e.Messages)
			}
		})
	}
}

func TestRuntimeErrors(t *testing.T) {
	for name, body := range map[string]string{
		"to_number": `to_number("x") > 0`,
		"division":  `1 / (count(input.findings) - 3) > 0`,
		"conflict":  `true`,
		"bad regex": `regex.match("(", "x")`,
	} {
		t.Run(name, func(t *testing.T) {
			src := "package stella.release\n\ndeny contains {\"code\": \"x\", \"message\": \"m\"} if {\n\t" + body + "\n}\n"
			if name == "conflict" {
				src += "\nc := 1\nc := 2 if true\n\ndeny contains {\"code\": \"c\", \"message\": \"m\"} if c\n"
			}
			p := mustPrepare(t, map[string]string{"p.rego": src})
			_, err := p.Eval(t.Context(), smallInput("production"), cutoff)
			e := wantKind(t, err, KindRuntime)
			if e.ReasonCode() != "policy.runtime-error" || len(e.Messages) != 1 || e.Messages[0].File != "p.rego" {
				t.Errorf("reason %s, messages %v", e.ReasonCode(), e.Messages)
			}
		})
	}
}

// expensive loops a billion times; only the timeout stops it.
const expensive = `package stella.release
deny contains {"code": "n", "message": sprintf("%d", [n])} if {
	n := count([x | some i in numbers.range(1, 1000); some j in numbers.range(1, 1000); some k in numbers.range(1, 1000); x := i * j * k])
}
`

func TestTimeoutStopsEvaluationPromptly(t *testing.T) {
	p := mustPrepare(t, map[string]string{"p.rego": expensive}, WithTimeout(100*time.Millisecond))
	start := time.Now()
	_, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	took := time.Since(start)
	e := wantKind(t, err, KindTimeout)
	if e.ReasonCode() != "gate.timeout" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("reason %s, err %v", e.ReasonCode(), err)
	}
	if took > 2*time.Second {
		t.Errorf("Eval returned after %s with a 100ms timeout", took)
	}

	// The per-call option overrides the prepared default.
	p = mustPrepare(t, map[string]string{"p.rego": expensive})
	start = time.Now()
	_, err = p.Eval(t.Context(), smallInput("production"), cutoff, EvalTimeout(50*time.Millisecond))
	wantKind(t, err, KindTimeout)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Eval returned after %s with a 50ms timeout", took)
	}
}

func TestCallerCancellationIsNotATimeout(t *testing.T) {
	p := mustPrepare(t, map[string]string{"p.rego": expensive})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := p.Eval(ctx, smallInput("production"), cutoff)
	wantKind(t, err, KindRuntime)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v does not wrap context.Canceled", err)
	}
}

func TestTraceOnRequest(t *testing.T) {
	p := mustPrepare(t, map[string]string{"release.rego": kevPolicy})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil || out.Trace != nil {
		t.Fatalf("without EvalTrace: err %v, trace %d lines", err, len(out.Trace))
	}
	out, err = p.Eval(t.Context(), smallInput("production"), cutoff, EvalTrace(true))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(out.Trace, "\n")
	if len(out.Trace) < 10 || !strings.Contains(joined, "release.rego:") || !strings.Contains(joined, "f.kev") {
		t.Errorf("trace does not follow the policy:\n%s", joined)
	}
	if len(out.Deny) != 1 {
		t.Errorf("tracing changed the result: %v", out.Deny)
	}
}

func TestDataJSONIsVisibleToPolicies(t *testing.T) {
	p := mustPrepare(t, map[string]string{
		"data.json": `{"stella": {"config": {"blocked": ["CVE-2026-0003"]}}}`,
		"p.rego": `package stella.release
deny contains {"code": "blocked", "message": f.advisoryId} if {
	some f in input.findings
	f.advisoryId in data.stella.config.blocked
}
`})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Deny, []Rule{{"blocked", "CVE-2026-0003"}}) {
		t.Errorf("deny %v", out.Deny)
	}
}

func TestInputTimesAreRFC3339AndNilsAreNull(t *testing.T) {
	p := mustPrepare(t, map[string]string{"p.rego": `package stella.release
deny contains {"code": "added", "message": f.kev.dateAdded} if {
	some f in input.findings
	f.kev != null
}

deny contains {"code": "null-kev", "message": f.advisoryId} if {
	some f in input.findings
	f.kev == null
}
`})
	out, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{{"added", "2026-02-09T12:00:00Z"}, {"added", "2026-03-01T12:00:00Z"}, {"null-kev", "CVE-2026-0003"}}
	if !slices.Equal(out.Deny, want) {
		t.Errorf("deny %v, want %v", out.Deny, want)
	}
	if _, err := p.Eval(t.Context(), map[string]any{"bad": make(chan int)}, cutoff); err == nil || KindOf(err) != 0 {
		t.Errorf("unencodable input: %v, want a caller error", err)
	}
}

func TestConcurrentEvaluations(t *testing.T) {
	p := mustPrepare(t, map[string]string{"release.rego": kevPolicy})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				tier := "production"
				if (g+i)%2 == 1 {
					tier = "staging"
				}
				out, err := p.Eval(context.Background(), smallInput(tier), cutoff.Add(time.Duration(i)*time.Second))
				if err != nil {
					errs <- err
					return
				}
				if got, want := len(out.Deny), map[string]int{"production": 1, "staging": 0}[tier]; got != want {
					errs <- fmt.Errorf("%s: %d denials, want %d", tier, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKindReasonCodes(t *testing.T) {
	want := map[Kind]string{
		KindCompile:       "policy.compile-error",
		KindRuntime:       "policy.runtime-error",
		KindTimeout:       "gate.timeout",
		KindUndefined:     "policy.undefined",
		KindInvalidOutput: "policy.invalid-output",
	}
	for k, code := range want {
		if got := (&Error{Kind: k}).ReasonCode(); got != code {
			t.Errorf("%s: %s, want %s", k, got, code)
		}
		if errors.Is(&Error{Kind: k}, ErrTimeout) != (k == KindTimeout) {
			t.Errorf("%s: errors.Is(ErrTimeout) wrong", k)
		}
	}
}

func TestConvertedInputGivesTheSameOutput(t *testing.T) {
	p := mustPrepare(t, map[string]string{"release.rego": kevPolicy})
	in, err := NewInput(smallInput("production"))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := p.Eval(t.Context(), smallInput("production"), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // an Input is reusable
		converted, err := p.Eval(t.Context(), in, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(direct.Deny, converted.Deny) || len(converted.Deny) != 1 {
			t.Errorf("converted input: deny %v, direct %v", converted.Deny, direct.Deny)
		}
	}
	var nilInput *Input
	if _, err := p.Eval(t.Context(), nilInput, cutoff); err == nil || KindOf(err) != 0 {
		t.Errorf("nil *Input: %v, want a caller error", err)
	}
}
