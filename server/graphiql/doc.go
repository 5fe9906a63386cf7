// Package graphiql serves the GraphiQL IDE from files embedded in the binary, so
// that it works without a CDN or any other network access (air-gapped hosts).
//
//	mux.Handle("/graphql", api)
//	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", graphiql.Handler("/graphql")))
//
// The handler serves the page at any path that ends in "/" and its scripts and
// styles under "assets/" relative to the page, so it may be mounted with or
// without http.StripPrefix, on a subtree pattern such as "/graphiql/". A request
// for the bare prefix ("/graphiql" after StripPrefix) is redirected to "/graphiql/"
// so that the page's relative asset URLs resolve.
//
// Asset URLs carry a content hash (assets/<hash>/<name>) and are cached as
// immutable. The page is not cached: its strict Content-Security-Policy carries
// a fresh nonce per response. Vendored versions are listed in assets/README.md.
package graphiql
