package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/auth"
)

type tokenRow struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID         string     `bun:"id,pk"`
	TenantID   string     `bun:"tenant_id"`
	Name       string     `bun:"name"`
	Role       string     `bun:"role"`
	Hash       string     `bun:"hash"`
	CreatedBy  string     `bun:"created_by"`
	CreatedAt  time.Time  `bun:"created_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
	LastUsedAt *time.Time `bun:"last_used_at"`
}

func (r *tokenRow) toToken() auth.Token {
	return auth.Token{
		ID: r.ID, TenantID: r.TenantID, Name: r.Name, Role: auth.Role(r.Role), Hash: r.Hash,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
		RevokedAt: utcPtr(r.RevokedAt), LastUsedAt: utcPtr(r.LastUsedAt),
	}
}

func (s *store) CreateToken(ctx context.Context, t *auth.Token) error {
	row := &tokenRow{
		ID: t.ID, TenantID: t.TenantID, Name: t.Name, Role: string(t.Role), Hash: t.Hash,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC(),
		RevokedAt: utcPtr(t.RevokedAt), LastUsedAt: utcPtr(t.LastUsedAt),
	}
	_, err := s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, ref{kind: "token", key: t.Name})
}

// TokenByHash looks a token up across tenants; an unknown hash is auth.ErrInvalidToken.
func (s *store) TokenByHash(ctx context.Context, hash string) (*auth.Token, error) {
	var row tokenRow
	if err := s.db.NewSelect().Model(&row).Where("hash = ?", hash).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, auth.ErrInvalidToken
		}
		return nil, err
	}
	t := row.toToken()
	return &t, nil
}

func (s *store) ListTokens(ctx context.Context, tenant string) ([]auth.Token, error) {
	var rows []tokenRow
	if err := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]auth.Token, len(rows))
	for i := range rows {
		out[i] = rows[i].toToken()
	}
	return out, nil
}

// RevokeToken sets RevokedAt once: revoking a revoked token keeps the first time.
func (s *store) RevokeToken(ctx context.Context, tenant, id string, at time.Time) (*auth.Token, error) {
	var row tokenRow
	err := s.inTxStore(ctx, func(tx *store) error {
		if _, err := tx.db.NewUpdate().Model((*tokenRow)(nil)).
			Set("revoked_at = ?", at.UTC()).
			Where("tenant_id = ? AND id = ? AND revoked_at IS NULL", tenant, id).
			Exec(ctx); err != nil {
			return err
		}
		return tx.db.NewSelect().Model(&row).Where("tenant_id = ? AND id = ?", tenant, id).Scan(ctx)
	})
	if err != nil {
		return nil, mapErr(err, ref{kind: "token", key: id})
	}
	t := row.toToken()
	return &t, nil
}

// CountTokens counts the tokens of every tenant.
func (s *store) CountTokens(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*tokenRow)(nil)).Count(ctx)
	return int(n), err
}
