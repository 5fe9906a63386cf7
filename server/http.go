package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/graph"
)

// authenticate resolves "Authorization: Bearer <token>" to a principal. A request
// without the header goes on anonymous (GraphQL refuses it field by field); a bad
// or revoked token is refused here with 401.
func authenticate(tokens auth.Store, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			writeGraphQLError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Authorization must be \"Bearer <token>\"")
			return
		}
		tok, err := auth.Authenticate(r.Context(), tokens, strings.TrimSpace(secret))
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidToken) {
				log.ErrorContext(r.Context(), "token lookup failed", "error", err)
			}
			writeGraphQLError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "invalid or revoked token")
			return
		}
		next.ServeHTTP(w, r.WithContext(graph.WithPrincipal(r.Context(), tok)))
	})
}

// writeGraphQLError answers in the GraphQL response shape, so clients handle
// transport-level refusals like any other error.
func writeGraphQLError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": code}}},
	})
}

// logRequests writes one structured line per request. It never logs headers or
// bodies, which may carry tokens and credentials.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.InfoContext(r.Context(), "http request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
