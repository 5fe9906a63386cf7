// Package canon turns values into canonical JSON (RFC 8785, JCS) and digests them.
//
// Everything Stella hashes or signs goes through here, so two processes that hold
// the same value always produce the same bytes:
//
//	b, err := canon.Marshal(manifest)
//	d, err := canon.Digest(manifest) // "sha256:…"
package canon
