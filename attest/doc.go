// Package attest signs and verifies in-toto v1 statements as DSSE envelopes.
// The payload is the statement's canonical JSON (RFC 8785); keys and signatures
// come from sigstore/sigstore and the envelope from go-securesystemslib.
//
//	env, err := attest.Sign(ctx, attest.NewStatement(predType, predicate, subject), signer)
//	st, keys, err := attest.Verify(ctx, env, attest.Trust{Verifiers: vs})
package attest
