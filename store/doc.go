// Package store persists the release catalog (release.Store) and API tokens
// (auth.Store) with bun, on SQLite (pure Go, the embedded default) or PostgreSQL.
// Open picks the database from the DSN and applies the schema migrations.
//
//	db, err := store.Open(ctx, "stella.db") // or "postgres://user:pass@host/db"
//	env, err := db.GetEnvironment(ctx, "acme", "prod")
//
// Every table carries tenant_id and every query filters by it. Lists page with
// keyset cursors (never OFFSET); a cursor is an opaque base64url string.
//
// A change and its audit entry are written in one transaction: release.Service
// does so through InTx, everyone else through Transact, whose Tx has every
// method of DB.
//
//	err := db.Transact(ctx, func(tx *store.Tx) error {
//		if err := tx.CreateToken(ctx, tok); err != nil {
//			return err
//		}
//		return catalog.RecordAudit(ctx, tx, "token.create", "api_token", tok.ID, nil, tok)
//	})
package store
