// Package server is Stella's reference server: it opens the store, seals secrets
// with the server key, authenticates API tokens, and serves GraphQL, GraphiQL,
// health checks and Prometheus metrics over HTTP.
//
//	srv, err := server.New(ctx, server.Config{DB: "stella.db"})
//	err = srv.ListenAndServe(ctx, func(addr string) { log.Printf("listening on %s", addr) })
package server
