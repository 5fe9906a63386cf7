// Package seal encrypts secrets at rest (registry credentials, target connection
// secrets) with AES-256-GCM under a server key. Sealed bytes carry a version byte
// and a random nonce, so the same plaintext never seals to the same bytes.
//
//	box, err := seal.LoadOrCreateKey("stella.key")
//	ct, err := box.Seal([]byte("s3cret"), []byte("integration/42"))
//	pt, err := box.Open(ct, []byte("integration/42"))
package seal
