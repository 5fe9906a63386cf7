package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/idempotency"
)

var _ idempotency.Store = (*DB)(nil)

// schemaIdempotency keeps the idempotency keys of mutations (release.md
// §7.3): one row per (tenant, actor, mutation, key), its first use's
// digests and, once it succeeded, its result. Rows expire after
// idempotency.TTL; the created_at index lets a purge find them.
func schemaIdempotency(dialect string) []string {
	return ddl(dialect,
		`CREATE TABLE idempotency_keys (
		tenant_id {key} NOT NULL,
		actor {key} NOT NULL,
		mutation {key} NOT NULL,
		idempotency_key {key} NOT NULL,
		arguments_digest TEXT NOT NULL,
		selection_digest TEXT NOT NULL,
		token TEXT NOT NULL,
		state TEXT NOT NULL,
		result TEXT,
		created_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, actor, mutation, idempotency_key)
	)`,
		`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`,
	)
}

type idempotencyKeyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys,alias:ik"`

	TenantID  string    `bun:"tenant_id,pk"`
	Actor     string    `bun:"actor,pk"`
	Mutation  string    `bun:"mutation,pk"`
	Key       string    `bun:"idempotency_key,pk"`
	Arguments string    `bun:"arguments_digest"`
	Selection string    `bun:"selection_digest"`
	Token     string    `bun:"token"`
	State     string    `bun:"state"`
	Result    *string   `bun:"result"`
	CreatedAt time.Time `bun:"created_at"`
}

const idempotencyKeyWhere = "tenant_id = ? AND actor = ? AND mutation = ? AND idempotency_key = ?"

func idempotencyKeyArgs(k idempotency.Key, more ...any) []any {
	return append([]any{k.Tenant, k.Actor, k.Mutation, k.Key}, more...)
}

// ReserveIdempotencyKey inserts the reservation, or takes over an expired
// row, in one statement: of two concurrent reservations the database lets
// exactly one write (PostgreSQL makes the second wait for the first's
// commit, then sees the row; SQLite has one writer). The loser reads the
// winner's row; should that row vanish meanwhile (released, purged), it
// tries again.
func (s *store) ReserveIdempotencyKey(ctx context.Context, r idempotency.Request, token string, at, cutoff time.Time) (*idempotency.Record, error) {
	for range 3 {
		res, err := s.db.ExecContext(ctx, `INSERT INTO idempotency_keys
			(tenant_id, actor, mutation, idempotency_key, arguments_digest, selection_digest, token, state, result, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
			ON CONFLICT (tenant_id, actor, mutation, idempotency_key) DO UPDATE SET
				arguments_digest = EXCLUDED.arguments_digest, selection_digest = EXCLUDED.selection_digest,
				token = EXCLUDED.token, state = EXCLUDED.state, result = NULL, created_at = EXCLUDED.created_at
			WHERE idempotency_keys.created_at <= ?`,
			idempotencyKeyArgs(r.Key, r.Arguments, r.Selection, token, string(idempotency.Pending), at.UTC(), cutoff.UTC())...)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 1 {
			return nil, nil
		}
		var row idempotencyKeyRow
		err = s.db.NewSelect().Model(&row).Where(idempotencyKeyWhere, idempotencyKeyArgs(r.Key)...).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rec := &idempotency.Record{
			Request: idempotency.Request{Key: r.Key, Arguments: row.Arguments, Selection: row.Selection},
			Token:   row.Token, State: idempotency.State(row.State), CreatedAt: row.CreatedAt.UTC(),
		}
		if row.Result != nil {
			rec.Result = []byte(*row.Result)
		}
		return rec, nil
	}
	return nil, fmt.Errorf("reserve idempotency key %q: its row kept changing; try again", r.Key.Key)
}

// CompleteIdempotencyKey keeps the result of token's reservation.
func (s *store) CompleteIdempotencyKey(ctx context.Context, k idempotency.Key, token string, result []byte) error {
	var text *string
	if result != nil {
		t := string(result)
		text = &t
	}
	res, err := s.db.NewUpdate().Model((*idempotencyKeyRow)(nil)).
		Set("state = ?", string(idempotency.Done)).Set("result = ?", text).
		Where(idempotencyKeyWhere+" AND token = ?", idempotencyKeyArgs(k, token)...).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return &fault.ConflictError{Kind: "idempotency key", Key: k.Key, Reason: "the reservation was lost before its result could be kept"}
	}
	return nil
}

// ReleaseIdempotencyKey deletes token's pending reservation.
func (s *store) ReleaseIdempotencyKey(ctx context.Context, k idempotency.Key, token string) error {
	_, err := s.db.NewDelete().Model((*idempotencyKeyRow)(nil)).
		Where(idempotencyKeyWhere+" AND token = ? AND state = ?", idempotencyKeyArgs(k, token, string(idempotency.Pending))...).Exec(ctx)
	return err
}

// PurgeIdempotencyKeys deletes the rows created at or before cutoff.
func (s *store) PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.NewDelete().Model((*idempotencyKeyRow)(nil)).Where("created_at <= ?", cutoff.UTC()).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
