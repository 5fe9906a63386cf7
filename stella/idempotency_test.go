package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

// droppingProxy runs every request on the server, then drops the answer of
// the next drops requests (the connection closes without a response), as
// a network failure after the server has done the work would. It records
// the idempotency key each request carried.
type droppingProxy struct {
	next  http.Handler
	mu    sync.Mutex
	drops int
	keys  []string
}

func (p *droppingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct{ Variables map[string]any }
	_ = json.Unmarshal(body, &req)
	key, _ := req.Variables[idempotencyKeyVar].(string)
	rec := httptest.NewRecorder()
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.next.ServeHTTP(rec, r)

	p.mu.Lock()
	p.keys = append(p.keys, key)
	drop := p.drops > 0
	if drop {
		p.drops--
	}
	p.mu.Unlock()
	if drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (p *droppingProxy) drop(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drops, p.keys = n, nil
}

func (p *droppingProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.keys...)
}

// TestCLIIdempotencyKeys: a promotion whose answer is lost is retried with
// the same key and requested once; when every answer is lost the error
// names the key, and repeating the command with it gets the first result.
func TestCLIIdempotencyKeys(t *testing.T) {
	old := retryBackoff
	retryBackoff = 0
	t.Cleanup(func() { retryBackoff = old })
	proxy := &droppingProxy{}
	s := newShopServer(t, func(h http.Handler) http.Handler { proxy.next = h; return proxy })
	admin, must := s.admin, s.must
	ci := s.token(server.DefaultTenant, "ci", auth.RoleReleaser)
	id := func(out string) string {
		t.Helper()
		var p struct{ ID, Status string }
		if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
			t.Fatalf("%v: %s", err, out)
		}
		return p.ID
	}
	promotions := func(env string) int {
		var list []any
		if err := json.Unmarshal([]byte(must(admin, "promotion", "list", "--env", env, "-o", "json")), &list); err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	for i, env := range []string{"dev", "stage", "prod"} {
		must(admin, "env", "create", env, "--order", string(rune('0'+i)), "--tier", "development", "--approvals", "1", "--approver-group", "approver", "--no-previous-environment")
	}

	// The first answer is lost: the CLI sends the request again with the
	// same key and gets the first result; one promotion exists.
	proxy.drop(1)
	first := id(must(ci, "promote", "shop-v1", "--to", "dev", "-o", "json"))
	if keys := proxy.seen(); len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("keys sent = %q; want one generated key, sent twice", keys)
	}
	if n := promotions("dev"); n != 1 {
		t.Fatalf("%d promotions to dev; want 1", n)
	}

	// Every answer is lost: the error names the key; the command repeated
	// with it returns the promotion the lost requests made.
	proxy.drop(keyedRetries + 1)
	out, code := run(t, s.URL, ci, "promote", "shop-v1", "--to", "stage", "-o", "json")
	m := regexp.MustCompile(`--idempotency-key (\S+) to get the result`).FindStringSubmatch(out)
	if code != ExitInternal || m == nil {
		t.Fatalf("all answers lost: exit %d: %s", code, out)
	}
	if keys := proxy.seen(); len(keys) != keyedRetries+1 || keys[0] != m[1] || keys[keyedRetries] != m[1] {
		t.Fatalf("keys sent = %q; want %s each time", keys, m[1])
	}
	stage := id(must(ci, "promote", "shop-v1", "--to", "stage", "--idempotency-key", m[1], "-o", "json"))
	if n := promotions("stage"); n != 1 || stage == first {
		t.Fatalf("%d promotions to stage, repeat gave %s; want the one the lost requests made", n, stage)
	}

	// Each invocation has its own key; the same key on another release or
	// environment is refused.
	if out, code := run(t, s.URL, ci, "promote", "shop-v1", "--to", "prod", "--idempotency-key", m[1]); code != ExitUsage || !strings.Contains(out, "CONFLICT: idempotency key") {
		t.Fatalf("key reused for prod: exit %d: %s", code, out)
	}
	cancel := must(ci, "promotion", "cancel", stage, "--idempotency-key", "c1", "-o", "json")
	if again := must(ci, "promotion", "cancel", stage, "--idempotency-key", "c1", "-o", "json"); again != cancel {
		t.Fatalf("cancel repeated with its key = %s; want %s", again, cancel)
	}
}
