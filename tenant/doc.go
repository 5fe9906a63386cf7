// Package tenant carries who is acting, and for which tenant, through a
// context. Every store row and every query is scoped by tenant, so a call
// that finds no scope fails closed with ErrNoScope rather than acting for
// nobody (or for everybody).
//
// It is a leaf package so that the release catalog, the stores, the GraphQL
// resolvers and programs embedding Stella all read the same scope without
// importing each other; the error kinds they share live apart, in package
// fault, since most packages that report errors never act for a tenant.
//
//	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: "acme", Actor: "ci"})
//	sc, err := tenant.ScopeFrom(ctx) // ErrNoScope when ctx carries none
package tenant
