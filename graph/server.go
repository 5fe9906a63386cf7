package graph

import (
	"log/slog"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stella-ops/stella/graph/generated"
)

// MaxComplexity bounds the cost of one query, so a deep query cannot exhaust the server.
const MaxComplexity = 5000

// NewHandler returns the GraphQL HTTP handler over r. The caller authenticates
// requests and puts the principal in the context with WithPrincipal; a
// websocket connection may instead send its token in connection_init.
func NewHandler(r *Resolver, log *slog.Logger, opts ...HandlerOption) *handler.Server {
	var hc handlerConfig
	for _, o := range opts {
		o(&hc)
	}
	cfg := generated.Config{Resolvers: r}
	cfg.Directives.HasRole = hasRole
	srv := handler.New(generated.NewExecutableSchema(cfg))
	srv.AddTransport(websocket(r.Tokens, log, hc))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// Parsed and validated queries are cached: clients repeat the same few queries.
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.AroundRootFields(requireAuth)
	// Idempotency keys (idempotency.go), inside requireAuth: an anonymous
	// request never reaches the key store.
	idem := &idempotent{r: r, log: log}
	srv.AroundOperations(idem.checkOperation)
	srv.AroundRootFields(idem.aroundRootField)
	// One issuer registry and batched VEX statements per operation (vex_batch.go).
	srv.AroundOperations(withVEXMemo)
	srv.SetErrorPresenter(ErrorPresenter(log))
	srv.SetRecoverFunc(recoverPanic(log))
	return srv
}
