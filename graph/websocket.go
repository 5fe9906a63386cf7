package graph

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/stella-ops/stella/auth"
)

// HandlerOption configures NewHandler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct{ origins []string }

// WebsocketOrigins lets browsers open subscriptions from pages served by
// these hosts (coder/websocket origin patterns, e.g. "console.example.com").
// By default only the server's own origin, or none (a non-browser client),
// is accepted.
func WebsocketOrigins(patterns ...string) HandlerOption {
	return func(c *handlerConfig) { c.origins = append(c.origins, patterns...) }
}

// websocketClosePolicy is the close code of a refused connection_init
// (graphql-transport-ws: 4403 Forbidden).
const websocketClosePolicy = 4403

type websocketKey struct{}

func overWebsocket(ctx context.Context) bool { return ctx.Value(websocketKey{}) != nil }

// websocket is the subscription transport: graphql-transport-ws and the
// legacy graphql-ws.
func websocket(tokens auth.Store, log *slog.Logger, cfg handlerConfig) transport.Websocket {
	return transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: cfg.origins},
		},
		InitFunc:              websocketInit(tokens, log),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	}
}

// websocketInit authenticates a connection: browsers cannot set headers on
// a websocket, so the token comes in connection_init's payload
// ({"Authorization": "Bearer <token>"}); without one, the upgrade request's
// header (checked by the HTTP middleware) counts. A bad token, or none,
// closes the connection. The token is never logged.
func websocketInit(tokens auth.Store, log *slog.Logger) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		refuse := func(err error) (context.Context, *transport.InitPayload, error) {
			return transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, "Forbidden"), websocketClosePolicy), nil, err
		}
		if h := p.Authorization(); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				return refuse(errors.New(`Authorization must be "Bearer <token>"`))
			}
			tok, err := auth.Authenticate(ctx, tokens, strings.TrimSpace(secret))
			if err != nil {
				if !errors.Is(err, auth.ErrInvalidToken) {
					log.ErrorContext(ctx, "token lookup failed", "error", err)
				}
				return refuse(errors.New("invalid or revoked token"))
			}
			ctx = WithPrincipal(ctx, tok)
		} else if _, ok := PrincipalFrom(ctx); !ok {
			return refuse(errUnauthenticated)
		}
		return context.WithValue(ctx, websocketKey{}, true), nil, nil
	}
}
