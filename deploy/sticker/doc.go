// Package sticker builds and reads stella.version.json, the version sticker an
// agent writes on every target after a deployment passes its health checks
// (deploy spec §3.2).
//
// The sticker carries a checksum over its own canonical JSON (RFC 8785) so a
// reader can tell a sticker Stella wrote from one edited on the host:
//
//	s, err := sticker.New(sticker.Input{Generator: "stella@1.4.0", GeneratedAt: now, Release: rel, Deployment: dep})
//	b, err := s.Marshal()          // canonical JSON, byte-identical for identical input
//	back, err := sticker.Parse(b)  // fails when the checksum does not match
package sticker
