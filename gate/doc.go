// Package gate decides whether a release may enter an environment.
//
// Each [Gate] checks one concern (security thresholds, KEV, a freeze
// window, N-of-M approvals, a Rego policy…) and returns a [Result] with
// stable reason codes. The [Engine] evaluates every configured gate, fails
// closed on any error, timeout or missing input, and returns a [Decision]
// record that names every input by digest ([InputDigests]), so it can be
// signed, stored and replayed later to the same bytes:
//
//	cfg, err := gate.LoadConfig("gates.yaml", builtin.Types()) // per-environment settings over defaults
//	eng, err := gate.NewEngine(ctx, gate.WithConfig(cfg), gate.WithTypes(builtin.Types()),
//		gate.WithDefaults(builtin.Defaults), gate.WithPolicies(bundle)) // prepared once
//	dec, err := eng.Decide(ctx, in, gate.DecideMeta{Inputs: gate.InputDigests{AdvisorySnapshotID: snap}}, gate.KeepInputs(cas))
//	// dec.Decision is allow, deny or pending; dec.ReasonCodes say why.
//	res, err := record.Replay(ctx, dec, cas) // res.Outcome: match, mismatch or failed
//
// Package gate holds the interfaces, the value types and the engine; what
// produces or consumes them lives beside it:
//
//   - gate/builtin: the ten built-in gate types, their settings and
//     defaults, builtin.DefaultConfig. The caller hands them to the
//     engine; gate knows only the policy type, the engine's own.
//   - gate/policy: Rego policy bundles, which the policy gate evaluates on
//     the Input document (stella.gate.input/v1).
//   - gate/exception: exceptions and revocations, their rules and store.
//   - gate/record: signing, replay and explanation of decision records,
//     the record store and the content-addressed store of their inputs.
//
// Package decide builds the Input from SBOMs, advisories and VEX and
// decides with the built-in types; use it unless you assemble the Input
// yourself. Findings enter through [BuildFindings], which applies VEX
// verdicts and the winning exception.
package gate
