package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
)

// shopServer is an in-process server on a SQLite file that holds the
// finalized release shop-v1 with the SBOMs of its images (storeShop).
type shopServer struct {
	t     *testing.T
	srv   *server.Server
	db    string           // the database file, for commands that open it directly
	rel   *release.Release // shop-v1
	URL   string
	admin string // the bootstrap admin token of the default tenant
}

// newShopServer starts it; wrap, when given, stands between the test HTTP
// server and the handler.
func newShopServer(t *testing.T, wrap func(http.Handler) http.Handler) *shopServer {
	t.Helper()
	ctx := context.Background()
	s := &shopServer{t: t, db: filepath.Join(t.TempDir(), "stella.db")}
	s.rel = storeShop(t, s.db, "api", "worker")
	var err error
	if s.srv, err = server.New(ctx, server.Config{DB: s.db}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.srv.Close() })
	if s.admin, err = s.srv.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	h := s.srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// token creates a token in tenant and returns its secret.
func (s *shopServer) token(tenant, name string, role auth.Role) string {
	s.t.Helper()
	_, tok, err := s.srv.CreateToken(context.Background(), tenant, name, role, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// must runs the CLI against the server with tok and fails the test unless
// it exits 0; it returns the output.
func (s *shopServer) must(tok string, args ...string) string {
	s.t.Helper()
	out, code := run(s.t, s.URL, tok, args...)
	if code != ExitOK {
		s.t.Fatalf("%v: exit %d: %s", args, code, out)
	}
	return out
}
