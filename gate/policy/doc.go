// Package policy evaluates Rego (OPA v1) policy bundles for the policy gate.
//
// A bundle is a directory of .rego files plus an optional data.json; its
// digest is "sha256:" of the JCS of {"files":[{"path","sha256"}]} sorted by
// path, where sha256 is the lowercase hex of the file. Files ending in
// _test.rego are in the digest but are not evaluated. A bundle is prepared
// once and evaluated many times, concurrently:
//
//	b, err := policy.Load("policies/prod")
//	p, err := policy.Prepare(ctx, b)
//	out, err := p.Eval(ctx, doc, cutoff) // doc: any JSON-encodable input; out.Deny, out.Warn
//
// Policies put their rules in package stella.release: deny (required) and
// warn (optional) are sets of {"code", "message"} objects, with codes that
// match ^[a-z0-9][a-z0-9._-]{0,63}$. Evaluation is deterministic: time.now_ns
// returns the cut-off, and built-ins that reach the network or the host or
// are random (http.send, net.*, rand.*, uuid.*, opa.runtime, …; see
// ExcludedBuiltins) are refused at Prepare. Strict built-in errors are on.
//
// When the policy gives no decision, the error is an *Error whose Kind
// (compile, runtime, timeout, undefined, invalid-output) names the gate
// reason code through ReasonCode.
package policy
