package release

import (
	"context"
	"errors"
)

// Scope is who is acting, and for which tenant. Every Service call needs one.
type Scope struct {
	Tenant string
	Actor  string
}

type scopeKey struct{}

// WithScope returns a context that carries s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFrom returns the scope in ctx.
func ScopeFrom(ctx context.Context) (Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	return s, ok && s.Tenant != ""
}

// ErrNoScope fails closed: no tenant in the context means no access at all.
var ErrNoScope = errors.New("release: no tenant scope in context (use release.WithScope)")

func scopeOf(ctx context.Context) (Scope, error) {
	s, ok := ScopeFrom(ctx)
	if !ok {
		return Scope{}, ErrNoScope
	}
	return s, nil
}
