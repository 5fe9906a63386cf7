// Package auth holds API tokens and roles. A token is a random secret shown once
// at creation; only its SHA-256 is stored. Each token carries one role and one tenant.
//
//	tok, secret, err := auth.NewToken("acme", "ci", auth.RoleReleaser, "admin", now, newID())
//	ok := tok.Role.Allows(auth.RoleViewer)
package auth
