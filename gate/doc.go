// Package gate decides whether a release may enter an environment.
//
// Each [Gate] checks one concern (security thresholds, KEV, a freeze
// window, N-of-M approvals, a Rego policy…) and returns a [Result] with
// stable reason codes. The [Engine] evaluates every configured gate, fails
// closed on any error, timeout or missing input, and returns a [Decision]
// record that names every input by digest so it can be replayed later.
//
//	eng, err := gate.NewEngine(gate.WithConfig(cfg), gate.WithPolicies(bundles))
//	dec, err := eng.Decide(ctx, in)      // allow | deny | pending
//	res, err := gate.Replay(ctx, dec, resolver)
package gate
