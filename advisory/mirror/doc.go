// Package mirror writes and reads signed advisory mirror bundles
// (advisory.md §6, offline.md §3): a deterministic tar.gz of observations,
// a JCS manifest of their digests and a DSSE envelope over the manifest.
//
//	err := mirror.Export(ctx, w, observations, signer, mirror.Options{})
//	b, err := mirror.Import(ctx, r, attest.Trust{Verifiers: vs}, lastGeneration)
//
// Import verifies everything before it returns anything; the caller appends
// b.Observations to its store only then. Bundle bytes are reproducible for
// deterministic signature schemes (Ed25519); with ECDSA only the manifest
// digest is stable.
package mirror
