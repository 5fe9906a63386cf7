package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/tenant"
)

type principalKey struct{}

// WithPrincipal returns a context acting as token t: its role for the API, and
// its tenant and name as the release scope.
func WithPrincipal(ctx context.Context, t *auth.Token) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, t)
	return tenant.WithScope(ctx, tenant.Scope{Tenant: t.TenantID, Actor: t.Name})
}

// PrincipalFrom returns the token the request is acting as.
func PrincipalFrom(ctx context.Context) (*auth.Token, bool) {
	t, ok := ctx.Value(principalKey{}).(*auth.Token)
	return t, ok && t != nil
}

// hasRole implements @hasRole: the caller's role must allow the field's role.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, role auth.Role) (any, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, errUnauthenticated
	}
	if !p.Role.Allows(role) {
		return nil, &forbiddenError{have: p.Role, need: role}
	}
	return next(ctx)
}

// requireAuth refuses every root field but introspection to anonymous callers;
// mutations are further narrowed by @hasRole.
func requireAuth(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if _, ok := PrincipalFrom(ctx); !ok && fc != nil && !strings.HasPrefix(fc.Field.Name, "__") {
		graphql.AddError(ctx, errUnauthenticated)
		return graphql.Null
	}
	return next(ctx)
}

type forbiddenError struct{ have, need auth.Role }

func (e *forbiddenError) Error() string {
	return "forbidden: role " + string(e.have) + " cannot do this; it needs " + string(e.need)
}
func (e *forbiddenError) Is(target error) bool { return target == errForbidden }
