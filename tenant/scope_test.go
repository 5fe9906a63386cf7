package tenant_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stella-ops/stella/tenant"
)

// otherKey is a context key of another package that happens to hold a Scope.
type otherKey struct{}

func TestScopeFromFailsClosed(t *testing.T) {
	for name, ctx := range map[string]context.Context{
		"no scope":        context.Background(),
		"no tenant":       tenant.WithScope(context.Background(), tenant.Scope{Actor: "ann"}),
		"another key set": context.WithValue(context.Background(), otherKey{}, tenant.Scope{Tenant: "acme"}),
	} {
		if sc, err := tenant.ScopeFrom(ctx); !errors.Is(err, tenant.ErrNoScope) || sc != (tenant.Scope{}) {
			t.Errorf("%s: ScopeFrom = %+v, %v; want ErrNoScope and no scope", name, sc, err)
		}
	}
}

func TestScopeFromReturnsTheScopeSet(t *testing.T) {
	want := tenant.Scope{Tenant: "acme", Actor: "ann"}
	ctx := tenant.WithScope(tenant.WithScope(context.Background(), tenant.Scope{Tenant: "globex"}), want)
	if got, err := tenant.ScopeFrom(ctx); err != nil || got != want {
		t.Fatalf("ScopeFrom = %+v, %v; want the innermost %+v", got, err, want)
	}
}
