// Package decide is the second half of Stella's golden path: a release,
// the SBOM of each image, an advisory snapshot, VEX and an exception log
// in; a sealed, replayable gate decision record out.
//
// A [Decider] is prepared once (gates resolved, Rego bundles compiled) and
// decides any number of [Request]s, as OPA's rego prepares a query once:
//
//	d, err := decide.New(ctx, decide.WithConfig(cfg), decide.WithPolicies(bundle))
//	rec, in, err := d.Decide(ctx, decide.Request{Cutoff: now, Release: rel, Environment: env,
//		Advisories: advs, VEX: v}, gate.KeepInputs(cas))
//	// rec.Decision is allow, deny or pending; in holds the findings behind it.
//
// The CLI (stella gate eval) and the server (decideRelease) both decide
// through here, so for the same inputs they write the same record bytes.
// [Sources] names the raw inputs of a decision made from files by digest,
// so it replays offline; [ParseConfigFile] reads the gates file both use.
package decide
