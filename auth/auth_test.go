package auth

import (
	"strings"
	"testing"
	"time"
)

func TestRoleAllows(t *testing.T) {
	tests := []struct {
		have, need Role
		want       bool
	}{
		{RoleViewer, RoleViewer, true},
		{RoleViewer, RoleReleaser, false},
		{RoleReleaser, RoleViewer, true},
		{RoleReleaser, RoleApprover, false},
		{RoleApprover, RoleReleaser, false},
		{RoleApprover, RoleApprover, true},
		{RoleAdmin, RoleReleaser, true},
		{RoleReleaser, RoleAdmin, false},
		{Role("root"), RoleViewer, false},
	}
	for _, tt := range tests {
		if got := tt.have.Allows(tt.need); got != tt.want {
			t.Errorf("%s.Allows(%s) = %v, want %v", tt.have, tt.need, got, tt.want)
		}
	}
}

func TestNewTokenStoresOnlyTheHash(t *testing.T) {
	tok, secret, err := NewToken("acme", "ci", RoleReleaser, "admin", time.Unix(0, 0), "id1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < 40 {
		t.Fatalf("secret %q is not a prefixed 256-bit token", secret)
	}
	if tok.Hash != HashSecret(secret) || strings.Contains(tok.Hash, secret) {
		t.Fatal("token must hold the secret's hash, not the secret")
	}
	if _, _, err := NewToken("acme", "ci", Role("root"), "admin", time.Now(), "id2"); err == nil {
		t.Fatal("want an error for an unknown role")
	}
}
