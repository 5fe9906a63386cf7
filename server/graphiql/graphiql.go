package graphiql

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed assets/*.js assets/*.css assets/LICENSES.txt
var assetFS embed.FS

// Option configures Handler.
type Option func(*config)

type config struct {
	title          string
	headerEditor   bool
	defaultHeaders map[string]string
}

// WithTitle sets the page title. The default is "GraphiQL".
func WithTitle(title string) Option {
	return func(c *config) { c.title = title }
}

// WithHeaderEditor shows or hides the request headers editor, where users paste
// {"Authorization":"Bearer stl_..."}. It is shown by default.
func WithHeaderEditor(enabled bool) Option {
	return func(c *config) { c.headerEditor = enabled }
}

// WithDefaultHeaders pre-fills the headers editor (as JSON) for a fresh tab, for
// example {"Authorization": "Bearer "} as a prompt. Headers typed by the user are
// never persisted to localStorage, since they usually hold a token.
func WithDefaultHeaders(h map[string]string) Option {
	return func(c *config) { c.defaultHeaders = h }
}

type asset struct {
	data  []byte
	ctype string
	hash  string // hex prefix of the SHA-256 of data; part of the immutable URL
}

type handler struct {
	page    *template.Template
	data    pageData // per-request copies get a fresh StyleNonce
	connect string   // CSP connect-src sources
	assets  map[string]asset
}

type pageData struct {
	Title           string
	Styles, Scripts []string
	Config          pageConfig
}

type pageConfig struct {
	Endpoint       string `json:"endpoint"`
	HeaderEditor   bool   `json:"headerEditor"`
	DefaultHeaders string `json:"defaultHeaders,omitempty"`
	StyleNonce     string `json:"styleNonce"`
}

// Handler returns a handler serving the GraphiQL page and its assets; the page
// sends queries to endpoint, a path such as "/graphql" or an absolute URL. It
// panics if endpoint is empty or not a valid URL, as that is a programming error.
func Handler(endpoint string, opts ...Option) http.Handler {
	cfg := config{title: "GraphiQL", headerEditor: true}
	for _, o := range opts {
		o(&cfg)
	}
	if endpoint == "" {
		panic("graphiql: empty endpoint")
	}
	ep, err := url.Parse(endpoint)
	if err != nil {
		panic(fmt.Sprintf("graphiql: invalid endpoint %q: %v", endpoint, err))
	}

	h := &handler{assets: make(map[string]asset)}
	err = fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h.assets[d.Name()] = asset{data: data, ctype: contentType(d.Name()), hash: hex.EncodeToString(sum[:8])}
		return nil
	})
	if err != nil {
		panic("graphiql: reading embedded assets: " + err.Error())
	}

	h.connect = "'self'"
	if ep.Scheme != "" && ep.Host != "" {
		h.connect += " " + ep.Scheme + "://" + ep.Host
	}
	if err := h.preparePage(endpoint, cfg); err != nil {
		panic("graphiql: preparing page: " + err.Error())
	}
	return h
}

// contentSecurityPolicy allows only this origin. The exceptions, and why:
//   - style-src 'nonce-…': react-remove-scroll (used by GraphiQL's dialogs)
//     injects a <style> element whose content depends on the scrollbar width, so
//     no hash fits; it adds the nonce that the boot script sets. Styles set from
//     script through element.style (React, CodeMirror) need no exception.
//   - img-src/font-src data: the GraphiQL stylesheet inlines its fonts and icons.
//   - connect-src also names the endpoint's origin when it is an absolute URL.
//
// No 'unsafe-inline' or 'unsafe-eval': the bundle does not eval, and the page
// boots from a file, passing its config as inert JSON.
func (h *handler) contentSecurityPolicy(nonce string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + h.connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

const pageTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
{{range .Styles}}<link rel="stylesheet" href="{{.}}">
{{end}}{{range .Scripts}}<script defer src="{{.}}"></script>
{{end}}<script type="application/json" id="graphiql-config">{{.Config}}</script>
</head>
<body>
<div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
</body>
</html>
`

func (h *handler) preparePage(endpoint string, cfg config) error {
	pc := pageConfig{Endpoint: endpoint, HeaderEditor: cfg.headerEditor}
	if len(cfg.defaultHeaders) > 0 {
		b, err := json.MarshalIndent(cfg.defaultHeaders, "", "  ")
		if err != nil {
			return err
		}
		pc.DefaultHeaders = string(b)
	}
	urls := func(names ...string) ([]string, error) {
		var out []string
		for _, n := range names {
			a, ok := h.assets[n]
			if !ok {
				return nil, fmt.Errorf("missing embedded asset %s", n)
			}
			// Relative, so the page works wherever it is mounted.
			out = append(out, "assets/"+a.hash+"/"+n)
		}
		return out, nil
	}
	// Order matters: GraphiQL's bundle reads window.React and window.ReactDOM.
	scripts, err := urls("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "stella-graphiql.js")
	if err != nil {
		return err
	}
	styles, err := urls("graphiql.min.css", "stella-graphiql.css")
	if err != nil {
		return err
	}
	h.data = pageData{Title: cfg.title, Styles: styles, Scripts: scripts, Config: pc}
	if h.page, err = template.New("page").Parse(pageTemplate); err != nil {
		return err
	}
	return h.page.Execute(io.Discard, h.data) // fail at startup, not per request
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")

	p := r.URL.Path
	if p == "" {
		h.redirectToSlash(w, r)
		return
	}
	dir, name := path.Split(p)
	if name == "" {
		h.servePage(w, r)
		return
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	parent, last := path.Split(strings.TrimSuffix(dir, "/"))
	switch {
	case last == "assets":
		// Unversioned URL, handy for curl: revalidate every time.
		w.Header().Set("Cache-Control", "no-cache")
	case last == a.hash && path.Base(parent) == "assets":
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		// Includes a stale hash: a 404 is better than caching new bytes forever
		// under an old URL.
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", `"`+a.hash+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	var n [16]byte
	rand.Read(n[:]) // never fails (crypto/rand panics instead)
	d := h.data
	d.Config.StyleNonce = base64.RawURLEncoding.EncodeToString(n[:])
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, d); err != nil {
		http.Error(w, "rendering page failed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	// no-store: the body carries a per-response nonce.
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", h.contentSecurityPolicy(d.Config.StyleNonce))
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(buf.Bytes())
}

// redirectToSlash handles the bare mount point, which StripPrefix turns into "".
// The page's relative asset URLs only resolve under a trailing slash. The
// Location is relative because the prefix the client used is unknown here.
func (h *handler) redirectToSlash(w http.ResponseWriter, r *http.Request) {
	orig, err := url.ParseRequestURI(r.RequestURI)
	if err != nil || orig.Path == "" || strings.HasSuffix(orig.Path, "/") {
		http.NotFound(w, r)
		return
	}
	loc := "./" + path.Base(orig.Path) + "/"
	if orig.RawQuery != "" {
		loc += "?" + orig.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusMovedPermanently)
}
