// Package attest signs and verifies in-toto v1 statements as DSSE envelopes.
// The payload is the statement's canonical JSON (RFC 8785); keys and signatures
// come from sigstore/sigstore and the envelope from go-securesystemslib.
//
//	st, err := attest.NewStatement(predType, predicate, subject)
//	env, err := attest.Sign(ctx, st, signer)
//	st, keys, err := attest.Verify(ctx, env, attest.Trust{Verifiers: vs})
package attest
