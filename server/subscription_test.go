package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
)

// wsClient speaks graphql-transport-ws, or the legacy graphql-ws, to the
// server's /graphql.
type wsClient struct {
	t     *testing.T
	c     *websocket.Conn
	proto string
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dial opens a websocket with subprotocol proto; header goes on the upgrade
// request.
func (e *env) dial(proto string, header http.Header) (*wsClient, *http.Response, error) {
	url := "ws" + strings.TrimPrefix(e.http.URL, "http") + "/graphql"
	c, resp, err := websocket.Dial(e.t.Context(), url, &websocket.DialOptions{Subprotocols: []string{proto}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	e.t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: e.t, c: c, proto: proto}, resp, nil
}

// connect dials and sends connection_init with the token in its payload;
// the caller reads the answer.
func (e *env) connect(proto, token string) *wsClient {
	e.t.Helper()
	w, _, err := e.dial(proto, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	w.send(wsMessage{Type: "connection_init", Payload: mustJSON(map[string]string{"Authorization": "Bearer " + token})})
	return w
}

// open connects and waits for connection_ack.
func (e *env) open(proto, token string) *wsClient {
	e.t.Helper()
	w := e.connect(proto, token)
	if m, err := w.next(); err != nil || m.Type != "connection_ack" {
		e.t.Fatalf("connection_init answered %+v, %v", m, err)
	}
	return w
}

func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}

func (w *wsClient) send(m wsMessage) {
	w.t.Helper()
	raw, _ := json.Marshal(m)
	if err := w.c.Write(w.t.Context(), websocket.MessageText, raw); err != nil {
		w.t.Fatal(err)
	}
}

// subscribe starts operation id.
func (w *wsClient) subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	typ := "subscribe"
	if w.proto == "graphql-ws" {
		typ = "start"
	}
	w.send(wsMessage{ID: id, Type: typ, Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

// next reads the next message that is not a keep-alive.
func (w *wsClient) next() (wsMessage, error) {
	for {
		_, raw, err := w.c.Read(w.t.Context())
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return m, err
		}
		switch m.Type {
		case "ka":
			continue
		case "ping":
			w.send(wsMessage{Type: "pong"})
			continue
		}
		return m, nil
	}
}

// data reads the next result and returns its data; an error message or a
// result with errors fails the test.
func (w *wsClient) data() (string, map[string]any) {
	w.t.Helper()
	m, err := w.next()
	if err != nil {
		w.t.Fatal(err)
	}
	if m.Type != "next" && m.Type != "data" {
		w.t.Fatalf("got %s %s, want a result", m.Type, m.Payload)
	}
	var r struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 {
		w.t.Fatalf("result %s: %v", m.Payload, err)
	}
	return m.ID, r.Data
}

// awaitSubscriptions waits until the server holds n subscriptions: a
// subscribe message is served asynchronously, and a change made before it
// is registered is not delivered.
func (e *env) awaitSubscriptions(n int) {
	for e.srv.Subscriptions() < n {
		select {
		case <-e.t.Context().Done():
			e.t.Fatal("test ended waiting for subscriptions")
		case <-time.After(time.Millisecond):
		}
	}
}

func TestSubscriptions_SQLite(t *testing.T) { subscriptions(t, "") }

func TestSubscriptions_PostgreSQL(t *testing.T) { subscriptions(t, testenv.PostgresDSN(t)) }

// subscriptions: a websocket client sees every transition of a promotion
// to dev in order, and its environment's new current release; another
// tenant's subscriber sees only its own; bad tokens are refused.
func subscriptions(t *testing.T, dsn string) {
	ctx := context.Background()
	e := newEnv(t, dsn)
	e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	_, viewer, err := e.srv.CreateToken(ctx, "default", "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, globex, err := e.srv.CreateToken(ctx, "globex", "gina", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	globexRelease(t, e, globex)

	const promotions = `subscription($env: String) { promotionUpdated(environment: $env) { id status version release { name } environment { name } } }`
	const environments = `subscription { environmentUpdated { name displayName
		current { application deployedAt release { id name digest } promotion { id status } } } }`
	w := e.open("graphql-transport-ws", viewer)
	w.subscribe("p", promotions, map[string]any{"env": "dev"})
	w.subscribe("e", environments, nil)
	other := e.open("graphql-transport-ws", globex)
	other.subscribe("p", promotions, nil)
	legacy := e.open("graphql-ws", viewer)
	legacy.subscribe("e", environments, nil)
	e.awaitSubscriptions(4)

	dev := path(e.ok(e.admin, `mutation { requestPromotion(release: "myapp-v1", environment: "dev") { id status } }`, nil), "requestPromotion")
	if path(dev, "status") != "deployed" {
		t.Fatalf("dev = %v", dev)
	}
	want := []string{"requested", "pending_gate", "pending_approval", "approved", "deploying", "deployed"}
	var seen []string
	var deployedAt string
	// The two subscriptions are relayed independently: the environment's
	// update may come before or after the promotion's last one.
	for envSeen := false; len(seen) < len(want) || !envSeen; {
		id, d := w.data()
		switch id {
		case "p":
			p := path(d, "promotionUpdated")
			if path(p, "id") != path(dev, "id") || path(p, "environment", "name") != "dev" || path(p, "release", "name") != "myapp-v1" ||
				path(p, "version") != float64(len(seen)+1) {
				t.Fatalf("update %d = %v", len(seen), p)
			}
			seen = append(seen, path(p, "status").(string))
		case "e":
			env := path(d, "environmentUpdated")
			cur, _ := path(env, "current").([]any)
			if envSeen || path(env, "name") != "dev" || len(cur) != 1 || path(cur[0], "application") != "myapp" ||
				path(cur[0], "release", "digest") == "" || path(cur[0], "release", "name") != "myapp-v1" ||
				path(cur[0], "promotion", "id") != path(dev, "id") || path(cur[0], "promotion", "status") != "deployed" ||
				path(cur[0], "deployedAt") == nil {
				t.Fatalf("environment update = %v", env)
			}
			deployedAt, envSeen = path(cur[0], "deployedAt").(string), true
		}
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("transitions = %v, want %v", seen, want)
	}

	// The legacy protocol delivers the same.
	if id, d := legacy.data(); id != "e" || path(d, "environmentUpdated", "current").([]any)[0].(map[string]any)["deployedAt"] != deployedAt {
		t.Fatalf("graphql-ws: environment update = %v", d)
	}

	// A change to the environment itself: on both protocols.
	e.ok(e.admin, `mutation { updateEnvironment(key: "dev", input: {name: "dev", displayName: "Development", orderIndex: 0, tier: development}) { id } }`, nil)
	for _, c := range []*wsClient{w, legacy} {
		id, d := c.data()
		env := path(d, "environmentUpdated")
		if id != "e" || path(env, "displayName") != "Development" || path(env, "current").([]any)[0].(map[string]any)["deployedAt"] != deployedAt {
			t.Fatalf("%s: environment update = %v", c.proto, d)
		}
	}

	// The other tenant's subscriber saw none of it: the first update it
	// gets is its own promotion's request.
	own := path(e.ok(globex, `mutation { requestPromotion(release: "globex-v1", environment: "dev") { id } }`, nil), "requestPromotion", "id")
	if _, d := other.data(); path(d, "promotionUpdated", "id") != own || path(d, "promotionUpdated", "status") != "requested" {
		t.Fatalf("globex's first update = %v, want its own promotion %v requested", d, own)
	}
	e.assertNoSecretsLeaked()
}

// globexRelease gives tenant globex a finalized, scanned release globex-v1
// and an environment dev.
func globexRelease(t *testing.T, e *env, token string) {
	t.Helper()
	e.ok(token, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": e.registry, "insecure": true}})
	for _, m := range []string{
		`mutation { createComponent(input: {name: "api", imageRepository: "team/api", registry: "hub"}) { id } }`,
		`mutation { createRelease(input: {name: "globex-v1"}) { id } }`,
		`mutation { addReleaseComponent(release: "globex-v1", input: {component: "api", tag: "v1.0.0"}) { id } }`,
		`mutation { finalizeRelease(key: "globex-v1") { id } }`,
		`mutation { scanRelease(key: "globex-v1") { reused } }`,
		`mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`,
	} {
		e.ok(token, m, nil)
	}
}

// TestSubscriptionRefusals: a bad token in connection_init closes the
// connection (4403), on either protocol; a bad header refuses the upgrade;
// no token at all is refused; another site's page may not connect.
func TestSubscriptionRefusals(t *testing.T) {
	e := newEnv(t, "")
	const bogus = "stella_bogus-token-never-logged"
	for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
		w := e.connect(proto, bogus)
		m, err := w.next()
		if proto == "graphql-ws" {
			if m.Type != "connection_error" || !strings.Contains(string(m.Payload), "invalid or revoked token") {
				t.Fatalf("%s: got %+v, %v; want connection_error", proto, m, err)
			}
			m, err = w.next()
		}
		if websocket.CloseStatus(err) != 4403 {
			t.Fatalf("%s: got %+v, %v; want the connection closed with 4403", proto, m, err)
		}
	}

	w, _, err := e.dial("graphql-transport-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.send(wsMessage{Type: "connection_init"})
	if _, err := w.next(); websocket.CloseStatus(err) != 4403 {
		t.Fatalf("no token: %v, want closed with 4403", err)
	}

	_, resp, err := e.dial("graphql-transport-ws", http.Header{"Authorization": {"Bearer " + bogus}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad header: %v, %v; want 401", resp, err)
	}

	_, resp, err = e.dial("graphql-transport-ws", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin: %v, %v; want 403", resp, err)
	}

	// The token in the upgrade request's header is enough.
	w, _, err = e.dial("graphql-transport-ws", http.Header{"Authorization": {"Bearer " + e.admin}})
	if err != nil {
		t.Fatal(err)
	}
	w.send(wsMessage{Type: "connection_init"})
	if m, err := w.next(); err != nil || m.Type != "connection_ack" {
		t.Fatalf("header token: %+v, %v", m, err)
	}

	// Subscriptions are not served over POST.
	r := e.gql(e.admin, `subscription { environmentUpdated { id } }`, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("subscription over POST = %+v", r)
	}
	if strings.Contains(e.logs.String(), bogus) {
		t.Error("the log contains the refused token")
	}
	e.assertNoSecretsLeaked()
}
