package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is what a token may do. Roles are ranked: each includes the ones below it,
// except that approver and releaser are separate duties.
type Role string

const (
	RoleViewer   Role = "viewer"
	RoleReleaser Role = "releaser"
	RoleApprover Role = "approver"
	RoleAdmin    Role = "admin"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleViewer, RoleReleaser, RoleApprover, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("role %q is not one of viewer, releaser, approver, admin", s)
}

// Allows reports whether a holder of r may act as need.
func (r Role) Allows(need Role) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleReleaser, RoleApprover:
		return need == r || need == RoleViewer
	case RoleViewer:
		return need == RoleViewer
	}
	return false
}

// TokenPrefix starts every token secret, so that leaked tokens are easy to find.
const TokenPrefix = "stl_"

// Token is a stored API token. The secret itself is never stored.
type Token struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenantId"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Hash       string     `json:"-"`
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// Active reports whether the token may still be used.
func (t *Token) Active() bool { return t.RevokedAt == nil }

// NewToken makes a token and returns it with its one-time secret.
func NewToken(tenant, name string, role Role, createdBy string, now time.Time, id string) (*Token, string, error) {
	if tenant == "" || name == "" {
		return nil, "", errors.New("auth: a token needs a tenant and a name")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("auth: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return &Token{ID: id, TenantID: tenant, Name: name, Role: role, Hash: HashSecret(secret), CreatedBy: createdBy, CreatedAt: now.UTC()}, secret, nil
}

// HashSecret returns the stored form of a token secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}

// ErrInvalidToken means a token is unknown or revoked.
var ErrInvalidToken = errors.New("auth: invalid or revoked token")

// Store keeps tokens. Lookups by hash are global (the tenant comes from the token);
// everything else is scoped by tenant.
type Store interface {
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token with that hash, revoked or not, or ErrInvalidToken.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context, tenant string) ([]Token, error)
	// RevokeToken sets RevokedAt; revoking twice keeps the first time.
	RevokeToken(ctx context.Context, tenant, id string, at time.Time) (*Token, error)
	// CountTokens counts every token of every tenant (to know whether to bootstrap).
	CountTokens(ctx context.Context) (int, error)
}

// Authenticate resolves a bearer secret to an active token.
func Authenticate(ctx context.Context, s Store, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, ErrInvalidToken
	}
	t, err := s.TokenByHash(ctx, HashSecret(secret))
	if err != nil {
		return nil, err
	}
	if !t.Active() {
		return nil, ErrInvalidToken
	}
	return t, nil
}
