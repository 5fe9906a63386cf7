// Package graph is Stella's GraphQL API: the schema in schema/*.graphqls, the
// gqlgen-generated executor in generated/, and resolvers that only translate
// between GraphQL and the SDK packages. Errors carry a stable extensions.code.
//
//	h := graph.NewHandler(&graph.Resolver{Catalog: svc, Tokens: db, InTx: graph.Transactions(db.Transact), Now: time.Now, NewID: newID}, logger)
//	mux.Handle("/graphql", authenticate(h)) // the caller sets graph.WithPrincipal
package graph
