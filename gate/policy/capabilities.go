package policy

import (
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A decision must be a function of its input and the cut-off alone, so
// policies may not use built-ins that reach the network, read the host or
// give different answers on each run. time.now_ns stays: Eval pins it to the
// cut-off.
var excludedPrefixes = []string{"http.", "net.", "rand.", "uuid."}

var excludedNames = map[string]string{
	"http.send":   "network",
	"opa.runtime": "host environment",
	// Verifies against the wall clock unless the policy passes CurrentTime.
	"crypto.x509.parse_and_verify_certificates":              "wall clock",
	"crypto.x509.parse_and_verify_certificates_with_options": "wall clock",
}

// pinnedTime are marked nondeterministic by OPA only because they read the
// evaluation time, which Eval pins to the cut-off.
var pinnedTime = map[string]bool{"time.now_ns": true, "io.jwt.decode_verify": true}

// excludedReason says why a built-in is excluded, or "" when it is allowed.
func excludedReason(b *ast.Builtin) string {
	if r, ok := excludedNames[b.Name]; ok {
		return r
	}
	for _, p := range excludedPrefixes {
		if strings.HasPrefix(b.Name, p) {
			switch p {
			case "http.", "net.":
				return "network"
			}
			return "nondeterministic"
		}
	}
	// OPA marks the rest itself: io.jwt.encode_sign (random signatures),
	// json.match_schema (fetches remote $refs)…
	if b.Nondeterministic && !pinnedTime[b.Name] {
		return "nondeterministic"
	}
	return ""
}

// capabilities is OPA's capability set for this version minus the excluded
// built-ins, with no network access for remote schema references either.
func capabilities() (*ast.Capabilities, map[string]string) {
	c := ast.CapabilitiesForThisVersion(ast.CapabilitiesRegoVersion(ast.RegoV1))
	excluded := map[string]string{}
	kept := c.Builtins[:0:0]
	for _, b := range c.Builtins {
		if r := excludedReason(b); r != "" {
			excluded[b.Name] = r
			continue
		}
		kept = append(kept, b)
	}
	c.Builtins = kept
	c.AllowNet = []string{}
	return c, excluded
}

// ExcludedBuiltins lists the built-ins policies may not call, sorted.
func ExcludedBuiltins() []string {
	_, ex := capabilities()
	out := make([]string, 0, len(ex))
	for n := range ex {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
