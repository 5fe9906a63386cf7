// Package authtest is the conformance suite for auth.Store.
//
//	func TestTokens(t *testing.T) { authtest.Run(t, func(t *testing.T) auth.Store { return open(t) }) }
//
// open must return a new, empty store for each call; subtests run in parallel.
package authtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/fault"
)

// Run runs the suite. open is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) auth.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s auth.Store)
	}{
		{"CreateAndLookup", testCreateAndLookup},
		{"ListPerTenant", testListPerTenant},
		{"Revoke", testRevoke},
		{"Count", testCount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// fixedNow is the suite's clock, with microseconds as both databases keep them.
func fixedNow() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC) }

func newToken(t *testing.T, tenant, name string, role auth.Role, at time.Time) (*auth.Token, string) {
	t.Helper()
	tok, secret, err := auth.NewToken(tenant, name, role, "admin", at, uuid.Must(uuid.NewV7()).String())
	if err != nil {
		t.Fatal(err)
	}
	return tok, secret
}

func create(t *testing.T, s auth.Store, tenant, name string, role auth.Role, at time.Time) (*auth.Token, string) {
	t.Helper()
	tok, secret := newToken(t, tenant, name, role, at)
	if err := s.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return tok, secret
}

func sameToken(t *testing.T, what string, got, want *auth.Token) {
	t.Helper()
	sameTime := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Name != want.Name || got.Role != want.Role ||
		got.Hash != want.Hash || got.CreatedBy != want.CreatedBy || !got.CreatedAt.Equal(want.CreatedAt) ||
		!sameTime(got.RevokedAt, want.RevokedAt) || !sameTime(got.LastUsedAt, want.LastUsedAt) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("%s: createdAt is in %v, want UTC", what, got.CreatedAt.Location())
	}
}

func testCreateAndLookup(t *testing.T, s auth.Store) {
	ctx, now := context.Background(), fixedNow()
	tok, secret := create(t, s, "acme", "ci", auth.RoleReleaser, now)
	got, err := s.TokenByHash(ctx, auth.HashSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	sameToken(t, "token by hash", got, tok)

	// Authenticate goes through the store.
	got, err = auth.Authenticate(ctx, s, secret)
	if err != nil || got.ID != tok.ID {
		t.Fatalf("Authenticate: %v, %v", got, err)
	}
	if _, err := s.TokenByHash(ctx, auth.HashSecret("stl_unknown")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("unknown hash: got %v, want ErrInvalidToken", err)
	}
	if _, err := auth.Authenticate(ctx, s, "stl_unknown"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Authenticate with an unknown secret: got %v, want ErrInvalidToken", err)
	}

	// A hash is unique across tenants.
	dup, _ := newToken(t, "globex", "copy", auth.RoleViewer, now)
	dup.Hash = tok.Hash
	if err := s.CreateToken(ctx, dup); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("a second token with the same hash: got %v, want a conflict", err)
	}
}

func testListPerTenant(t *testing.T, s auth.Store) {
	ctx, now := context.Background(), fixedNow()
	a1, _ := create(t, s, "acme", "ci", auth.RoleReleaser, now)
	a2, _ := create(t, s, "acme", "ops", auth.RoleAdmin, now.Add(time.Minute))
	b1, _ := create(t, s, "globex", "ci", auth.RoleViewer, now)

	for tenant, want := range map[string][]*auth.Token{"acme": {a1, a2}, "globex": {b1}, "initech": nil} {
		got, err := s.ListTokens(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("tenant %s: %d tokens, want %d", tenant, len(got), len(want))
		}
		for i := range want {
			sameToken(t, tenant+" token", &got[i], want[i]) // oldest first
		}
	}
}

func testRevoke(t *testing.T, s auth.Store) {
	ctx, now := context.Background(), fixedNow()
	tok, secret := create(t, s, "acme", "ci", auth.RoleReleaser, now)
	first := now.Add(time.Hour)
	got, err := s.RevokeToken(ctx, "acme", tok.ID, first)
	if err != nil {
		t.Fatal(err)
	}
	if got.RevokedAt == nil || !got.RevokedAt.Equal(first) || got.Active() {
		t.Fatalf("revoked token: revokedAt %v, active %v", got.RevokedAt, got.Active())
	}
	// Revoking again keeps the first time.
	got, err = s.RevokeToken(ctx, "acme", tok.ID, first.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(first) {
		t.Errorf("second revoke moved revokedAt to %v, want %v", got.RevokedAt, first)
	}
	// A revoked token is still found by hash, but no longer authenticates.
	byHash, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil || byHash.RevokedAt == nil || !byHash.RevokedAt.Equal(first) {
		t.Errorf("revoked token by hash: %+v, %v", byHash, err)
	}
	if _, err := auth.Authenticate(ctx, s, secret); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Authenticate with a revoked token: got %v, want ErrInvalidToken", err)
	}

	// Another tenant's token, or none, is not found.
	for _, tc := range []struct{ tenant, id string }{{"globex", tok.ID}, {"acme", uuid.NewString()}} {
		_, err := s.RevokeToken(ctx, tc.tenant, tc.id, first)
		var nf *fault.NotFoundError
		if !errors.As(err, &nf) || nf.Kind != "token" || nf.Key != tc.id {
			t.Errorf("revoke %s's token %s: got %v, want a NotFoundError for token %q", tc.tenant, tc.id, err, tc.id)
		}
	}
}

func testCount(t *testing.T, s auth.Store) {
	ctx, now := context.Background(), fixedNow()
	count := func(want int) {
		t.Helper()
		n, err := s.CountTokens(ctx)
		if err != nil || n != want {
			t.Errorf("CountTokens = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	create(t, s, "acme", "ci", auth.RoleReleaser, now)
	tok, _ := create(t, s, "globex", "ci", auth.RoleViewer, now)
	count(2)
	if _, err := s.RevokeToken(ctx, "globex", tok.ID, now); err != nil {
		t.Fatal(err)
	}
	count(2) // revoked tokens still count: they show that the server was set up
}
