package graphiql

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/stella-ops/stella/internal/testenv"
)

// newServer mounts the handler the documented way, next to a stand-in endpoint.
func newServer(t *testing.T, endpoint http.Handler, opts ...Option) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", Handler("/graphql", opts...)))
	if endpoint != nil {
		mux.Handle("/graphql", endpoint)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

var attrURL = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

func pageURLs(t *testing.T, body []byte) []string {
	t.Helper()
	var urls []string
	for _, m := range attrURL.FindAllSubmatch(body, -1) {
		if u := string(m[1]); u != "data:," { // the empty favicon
			urls = append(urls, u)
		}
	}
	if len(urls) != 6 {
		t.Fatalf("page references %d asset URLs, want 6 (4 scripts, 2 styles): %q", len(urls), urls)
	}
	return urls
}

var configJSON = regexp.MustCompile(`(?s)<script type="application/json" id="graphiql-config">(.*?)</script>`)

func TestPage(t *testing.T) {
	srv := newServer(t, nil, WithTitle("Stella <API>"), WithDefaultHeaders(map[string]string{"Authorization": "Bearer stl_x"}))
	resp, body := get(t, srv.URL+"/graphiql/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if s := string(body); strings.Contains(s, "http://") || strings.Contains(s, "https://") || strings.Contains(s, "//cdn") {
		t.Errorf("page mentions a remote URL:\n%s", s)
	}
	for _, u := range pageURLs(t, body) {
		if !strings.HasPrefix(u, "assets/") || strings.Contains(u, ":") || strings.HasPrefix(u, "//") {
			t.Errorf("asset URL %q is not a local relative URL", u)
		}
	}
	if !strings.Contains(string(body), "<title>Stella &lt;API&gt;</title>") {
		t.Errorf("title not set or not escaped:\n%s", body)
	}

	m := configJSON.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no config element:\n%s", body)
	}
	var cfg pageConfig
	if err := json.Unmarshal(m[1], &cfg); err != nil {
		t.Fatalf("config is not JSON: %v\n%s", err, m[1])
	}
	if cfg.Endpoint != "/graphql" || !cfg.HeaderEditor || len(cfg.StyleNonce) < 16 {
		t.Errorf("config %+v", cfg)
	}
	var hdrs map[string]string
	if err := json.Unmarshal([]byte(cfg.DefaultHeaders), &hdrs); err != nil || hdrs["Authorization"] != "Bearer stl_x" {
		t.Errorf("defaultHeaders %q (%v)", cfg.DefaultHeaders, err)
	}

	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'", "'nonce-" + cfg.StyleNonce + "'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows unsafe sources", csp)
	}

	// The nonce must differ per response, or it protects nothing.
	resp2, _ := get(t, srv.URL+"/graphiql/")
	if resp2.Header.Get("Content-Security-Policy") == csp {
		t.Error("two responses share a CSP nonce")
	}
}

func TestAssets(t *testing.T) {
	srv := newServer(t, nil)
	_, body := get(t, srv.URL+"/graphiql/")
	for _, u := range pageURLs(t, body) {
		resp, data := get(t, srv.URL+"/graphiql/"+u)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", u, resp.StatusCode)
			continue
		}
		want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(u)]
		if ct := resp.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: Content-Type %q, want %q", u, ct, want)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", u)
		}
		min := 10_000 // vendored bundles; our own boot files are small
		if strings.Contains(u, "stella-") {
			min = 100
		}
		if len(data) < min {
			t.Errorf("%s: %d bytes, want at least %d", u, len(data), min)
		}

		// Revalidation by ETag answers 304 without a body.
		resp, data = get(t, srv.URL+"/graphiql/"+u, "If-None-Match", resp.Header.Get("ETag"))
		if resp.StatusCode != http.StatusNotModified || len(data) != 0 {
			t.Errorf("%s: conditional GET gave %d with %d bytes", u, resp.StatusCode, len(data))
		}
	}

	// The unversioned URL works too, but must not be cached as immutable.
	resp, data := get(t, srv.URL+"/graphiql/assets/graphiql.min.js")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" || len(data) < 100_000 {
		t.Errorf("unversioned asset: status %d, Cache-Control %q, %d bytes", resp.StatusCode, resp.Header.Get("Cache-Control"), len(data))
	}
	resp, data = get(t, srv.URL+"/graphiql/assets/LICENSES.txt")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || !strings.Contains(string(data), "MIT License") {
		t.Errorf("LICENSES.txt: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestNotFound(t *testing.T) {
	srv := newServer(t, nil)
	for _, p := range []string{
		"/graphiql/assets/nope.js",
		"/graphiql/assets/0000000000000000/graphiql.min.js", // stale hash
		"/graphiql/assets/README.md",                        // in the repo, not embedded
		"/graphiql/other/graphiql.min.js",
		"/graphiql/index.html",
		"/graphiql/favicon.ico",
	} {
		if resp, _ := get(t, srv.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestMounting(t *testing.T) {
	h := Handler("/graphql")

	// Bare prefix after StripPrefix: redirect so relative asset URLs resolve.
	srv := httptest.NewServer(http.StripPrefix("/graphiql", h))
	defer srv.Close()
	resp, _ := get(t, srv.URL+"/graphiql?x=1")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "./graphiql/?x=1" {
		t.Errorf("bare prefix: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Mounted on a subtree pattern without StripPrefix.
	mux := http.NewServeMux()
	mux.Handle("/tools/graphiql/", h)
	srv2 := httptest.NewServer(mux)
	defer srv2.Close()
	resp, body := get(t, srv2.URL+"/tools/graphiql/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page: status %d", resp.StatusCode)
	}
	for _, u := range pageURLs(t, body) {
		if resp, _ := get(t, srv2.URL+"/tools/graphiql/"+u); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", u, resp.StatusCode)
		}
	}

	// Only GET and HEAD.
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", rec.Code)
	}
}

func TestAbsoluteEndpoint(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler("https://api.example.test/graphql").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.test;") {
		t.Errorf("CSP %q does not allow the endpoint's origin", csp)
	}
}

const chromiumPath = "/usr/bin/chromium"

// requireChromium skips without Chromium, except in CI, where a missing browser
// must fail rather than silently drop the check.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Require(t, "Chromium", err.Error()+" (apt-get install chromium); the GraphiQL browser check cannot run")
	}
}

// cspRecorder collects CSP violations; it runs before any page script and is
// injected through the DevTools protocol, so the page's own CSP does not apply.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});`

func TestBrowserRendersGraphiQL(t *testing.T) {
	requireChromium(t)

	// The stand-in endpoint only records what GraphiQL sends; schema
	// introspection fails with a GraphQL error, which the UI just displays.
	auths := make(chan string, 16)
	endpoint := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case auths <- r.Header.Get("Authorization"):
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"errors":[{"message":"test endpoint has no schema"}]}`)
	})
	srv := newServer(t, endpoint, WithTitle("Stella GraphiQL"),
		WithDefaultHeaders(map[string]string{"Authorization": "Bearer stl_browsertest"}))

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc() // waits for Chromium to exit, before TempDir is removed

	var (
		mu       sync.Mutex
		requests []string
		problems []string
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			problems = append(problems, "exception: "+msg)
		case *log.EventEntryAdded:
			// The schema fetch failing against the stand-in endpoint is expected.
			if ev.Entry.Level == log.EntryLevelError && !strings.Contains(ev.Entry.URL, "/graphql") {
				problems = append(problems, "console error: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	}))
	defer cancelBrowser()

	err := chromedp.Do(browserCtx,
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
			return err
		}),
		chromedp.Navigate(srv.URL+"/graphiql/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-container")),
	)
	if err != nil {
		t.Fatalf("GraphiQL did not render: %v", err)
	}
	defined, err := chromedp.Run(browserCtx, chromedp.Evaluate[bool](`typeof window.GraphiQL === 'function' && typeof GraphiQL.createFetcher === 'function'`))
	if err != nil || !defined {
		t.Errorf("window.GraphiQL defined = %v (%v)", defined, err)
	}
	title, err := chromedp.Run(browserCtx, chromedp.Title())
	if err != nil || title != "Stella GraphiQL" {
		t.Errorf("title %q (%v)", title, err)
	}

	// The schema request proves the fetcher points at the endpoint and sends
	// the default headers from the header editor.
	select {
	case got := <-auths:
		if got != "Bearer stl_browsertest" {
			t.Errorf("endpoint got Authorization %q", got)
		}
	case <-ctx.Done():
		t.Fatal("GraphiQL never called the endpoint")
	}

	// GRAPHIQL_SCREENSHOT=/tmp/g.png keeps a picture for a human to check.
	if out := os.Getenv("GRAPHIQL_SCREENSHOT"); out != "" {
		png, err := chromedp.Run(browserCtx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(out, png, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}

	// A dialog injects a nonce-tagged <style>; the strict CSP must admit it.
	err = chromedp.Do(browserCtx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Open settings dialog"]`)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-dialog")),
	)
	if err != nil {
		t.Errorf("settings dialog did not open: %v", err)
	}
	injected, err := chromedp.Run(browserCtx, chromedp.Evaluate[int](`document.querySelectorAll('style[nonce]').length`))
	if err != nil || injected == 0 {
		t.Errorf("no nonce-tagged <style> after opening a dialog: %d (%v)", injected, err)
	}

	violations, err := chromedp.Run(browserCtx, chromedp.Evaluate[[]string](`window.__cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("CSP violations: %q", violations)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Error("no network requests recorded")
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("request to a host other than the test server: %s", u)
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}
