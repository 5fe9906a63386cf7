// Package store persists the release catalog (release.Store) and API tokens
// (auth.Store) with bun, on SQLite (pure Go, the embedded default) or PostgreSQL.
// Open picks the database from the DSN and applies the schema migrations.
//
//	db, err := store.Open(ctx, "stella.db") // or "postgres://user:pass@host/db"
//	env, err := db.GetEnvironment(ctx, "acme", "prod")
//
// Every table carries tenant_id and every query filters by it. Lists page with
// keyset cursors (never OFFSET); a cursor is an opaque base64url string.
package store
