package tenant

import (
	"context"
	"errors"
)

// Scope is who is acting, and for which tenant.
type Scope struct {
	Tenant string
	Actor  string
}

type scopeKey struct{}

// WithScope returns a context that carries s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ErrNoScope fails closed: no tenant in the context means no access at all.
var ErrNoScope = errors.New("tenant: no scope in context (use tenant.WithScope)")

// ScopeFrom returns the scope in ctx, or ErrNoScope when ctx carries none or
// one without a tenant. It returns an error, not a flag, so that a caller
// cannot carry on with an empty tenant by ignoring it.
func ScopeFrom(ctx context.Context) (Scope, error) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	if !ok || s.Tenant == "" {
		return Scope{}, ErrNoScope
	}
	return s, nil
}
