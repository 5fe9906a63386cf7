package server_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
)

// laneObserver is the deployer two servers share. It records which
// promotion of each (environment, application) lane is deploying, the
// order in which releases entered each lane and how often each one
// deployed, and notes every overlap: a deployment entering a lane another
// one has not left. It leaves a lane before it returns, that is before the
// promotion is recorded as deployed, so a correct lock never overlaps.
type laneObserver struct {
	mu       sync.Mutex
	active   map[string]string   // lane → release deploying now
	order    map[string][]string // lane → releases in the order they entered
	times    map[string]int      // release name → deployments
	overlaps []string
	during   func(p release.Promotion, rel *release.Release) error
}

func newLaneObserver() *laneObserver {
	return &laneObserver{active: map[string]string{}, order: map[string][]string{}, times: map[string]int{}}
}

func lane(envID, application string) string { return envID + "/" + application }

func (o *laneObserver) Deploy(_ context.Context, p release.Promotion, rel *release.Release, env *release.Environment) error {
	l := lane(env.ID, p.Application)
	o.mu.Lock()
	if cur, ok := o.active[l]; ok {
		o.overlaps = append(o.overlaps, fmt.Sprintf("lane %s: %s entered while %s deploys", l, rel.Name, cur))
	}
	o.active[l] = rel.Name
	o.order[l] = append(o.order[l], rel.Name)
	o.times[rel.Name]++
	during := o.during
	o.mu.Unlock()

	var err error
	if during != nil {
		err = during(p, rel)
	}

	o.mu.Lock()
	if o.active[l] == rel.Name {
		delete(o.active, l)
	}
	o.mu.Unlock()
	return err
}

// set replaces what a deployment does while it holds its lane.
func (o *laneObserver) set(during func(p release.Promotion, rel *release.Release) error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.during = during
}

func (o *laneObserver) snapshot() (order map[string][]string, times map[string]int, overlaps []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	order = map[string][]string{}
	for k, v := range o.order {
		order[k] = slices.Clone(v)
	}
	times = map[string]int{}
	for k, v := range o.times {
		times[k] = v
	}
	return order, times, slices.Clone(o.overlaps)
}

// barrierTimeout bounds how long a deployment waits for another one that
// must run beside it (or for the test to let it go). Reaching it fails
// the test: it is a deadlock guard, not a timing assertion.
const barrierTimeout = 2 * time.Minute

func TestTwoServersDeployLock_PostgreSQL(t *testing.T) {
	twoServersDeployLock(t, testenv.PostgresDSN(t))
}

// Two servers on one SQLite file: two pools, one writer at a time.
func TestTwoServersDeployLock_SQLite(t *testing.T) { twoServersDeployLock(t, "") }

// twoServersDeployLock runs two servers, each with its own connection
// pool, on one database, with one observing deployer, and requests
// promotions to prod through both servers' GraphQL handlers at once:
//
//   - two applications deploy side by side: each one's deployment waits
//     until the other's has started;
//   - a lane held by a deployment queues the promotions approved meanwhile
//     and deploys them one at a time in requestedAt order (FIFO), and the
//     environment's current release is the last one requested;
//   - many concurrent requests of one application, half through each
//     server: every promotion deploys exactly once, never two at a time.
func twoServersDeployLock(t *testing.T, dsn string) {
	ctx := context.Background()
	obs := newLaneObserver()
	var cfg server.Config
	e := newEnv(t, dsn, func(c *server.Config) { c.Deployer = obs; cfg = *c })
	srv2, err := server.New(ctx, cfg) // the same database and keys, its own pool
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Close() })
	hs2 := httptest.NewServer(srv2.Handler())
	t.Cleanup(hs2.Close)
	urls := []string{e.http.URL, hs2.URL}

	digest := e.scannedRelease("seed-v1.0.0")
	prod := path(e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 0, tier: production}) { id } }`, nil),
		"createEnvironment", "id").(string)
	newRelease := func(application, name string) {
		vars := map[string]any{"n": name, "a": application, "d": digest}
		e.ok(e.admin, `mutation($n: String!, $a: String!) { createRelease(input: {name: $n, application: $a}) { id } }`, vars)
		e.ok(e.admin, `mutation($n: String!, $d: String!) { addReleaseComponent(release: $n, input: {component: "api", digest: $d}) { id } }`, vars)
		e.ok(e.admin, `mutation($n: String!) { finalizeRelease(key: $n) { id } }`, vars)
	}
	// requestAll requests names into prod at once, alternating servers, and
	// returns each one's status as the request answered it.
	requestAll := func(names []string) map[string]string {
		var mu sync.Mutex
		status := map[string]string{}
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Go(func() {
				p, err := requestPromotion(urls[i%2], e.admin, n, "prod")
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("request %s through server %d: %v", n, i%2+1, err)
					return
				}
				status[n] = p.Status
			})
		}
		wg.Wait()
		return status
	}

	// Two applications at once: alpha's deployment waits for beta's to
	// start and the other way round, so they can only both finish if the
	// two lanes deploy side by side.
	started := map[string]chan struct{}{"alpha": make(chan struct{}), "beta": make(chan struct{})}
	peer := map[string]string{"alpha": "beta", "beta": "alpha"}
	obs.set(func(p release.Promotion, _ *release.Release) error {
		close(started[p.Application])
		select {
		case <-started[peer[p.Application]]:
			return nil
		case <-time.After(barrierTimeout):
			t.Errorf("%s deployed alone: %s never started beside it", p.Application, peer[p.Application])
			return fmt.Errorf("%s never started", peer[p.Application])
		}
	})
	newRelease("alpha", "alpha-v1.0.0")
	newRelease("beta", "beta-v1.0.0")
	for n, st := range requestAll([]string{"alpha-v1.0.0", "beta-v1.0.0"}) {
		if st != "deployed" {
			t.Errorf("%s = %s, want deployed", n, st)
		}
	}

	// FIFO: web-v0 holds the lane (through server 1) until promotions of
	// web-v1…v12, requested through both servers, are all approved and
	// waiting; then they deploy in requestedAt order.
	held, let := make(chan struct{}), make(chan struct{})
	obs.set(func(_ release.Promotion, rel *release.Release) error {
		if rel.Name != "web-v0.0.0" {
			return nil
		}
		close(held)
		select {
		case <-let:
			return nil
		case <-time.After(barrierTimeout):
			return fmt.Errorf("the test never let %s finish", rel.Name)
		}
	})
	const queued = 12
	var waiting []string
	newRelease("web", "web-v0.0.0")
	for i := 1; i <= queued; i++ {
		waiting = append(waiting, fmt.Sprintf("web-v%d.0.0", i))
		newRelease("web", waiting[len(waiting)-1])
	}
	holder := make(chan string, 1)
	go func() {
		p, err := requestPromotion(urls[0], e.admin, "web-v0.0.0", "prod")
		if err != nil {
			t.Errorf("request web-v0.0.0: %v", err)
			holder <- ""
			return
		}
		holder <- p.Status
	}()
	select {
	case <-held:
	case <-time.After(barrierTimeout):
		t.Fatal("web-v0.0.0 never started deploying")
	}
	for n, st := range requestAll(waiting) {
		if st != "approved" {
			t.Errorf("%s = %s while the lane is held, want approved (waiting)", n, st)
		}
	}
	close(let)
	if st := <-holder; st != "deployed" {
		t.Fatalf("web-v0.0.0 = %q, want deployed", st)
	}

	// Many at once: svc-v1…v24, half through each server, nothing held.
	obs.set(nil)
	var svc []string
	for i := 1; i <= 24; i++ {
		svc = append(svc, fmt.Sprintf("svc-v%d.0.0", i))
		newRelease("svc", svc[len(svc)-1])
	}
	requestAll(svc)

	// Every promotion ended deployed, each deployed exactly once, and no
	// two deployments of one lane overlapped.
	all := listPromotions(t, e, "prod")
	order, times, overlaps := obs.snapshot()
	for _, o := range overlaps {
		t.Error(o)
	}
	if want := 2 + 1 + queued + len(svc); len(all) != want {
		t.Errorf("%d promotions, want %d", len(all), want)
	}
	for _, p := range all {
		if p.Status != "deployed" || times[p.Release.Name] != 1 {
			t.Errorf("%s: %s, deployed %d times; want deployed once", p.Release.Name, p.Status, times[p.Release.Name])
		}
	}

	// The queue of the held lane drained in requestedAt order.
	var web []promotionView
	for _, p := range all {
		if p.Release.Application == "web" && p.Release.Name != "web-v0.0.0" {
			web = append(web, p)
		}
	}
	slices.SortFunc(web, func(a, b promotionView) int {
		return cmp.Or(a.RequestedAt.Compare(b.RequestedAt), cmp.Compare(a.ID, b.ID))
	})
	want := []string{"web-v0.0.0"}
	for _, p := range web {
		want = append(want, p.Release.Name)
	}
	if got := order[lane(prod, "web")]; !slices.Equal(got, want) {
		t.Errorf("web deployed in the order %v, want requestedAt order %v", got, want)
	}

	// The environment runs the last release each lane deployed.
	byName := map[string]string{}
	for _, p := range all {
		byName[p.Release.Name] = p.Release.ID
	}
	for _, app := range []string{"alpha", "beta", "web", "svc"} {
		o := order[lane(prod, app)]
		if len(o) == 0 {
			t.Errorf("%s never deployed", app)
			continue
		}
		for _, s := range []*server.Server{e.srv, srv2} {
			cur, err := s.Store().CurrentRelease(ctx, server.DefaultTenant, prod, app)
			if err != nil || cur != byName[o[len(o)-1]] {
				t.Errorf("current release of %s = %q, %v; want %s (%s), the last deployed", app, cur, err, o[len(o)-1], byName[o[len(o)-1]])
			}
		}
	}
}

type promotionView struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	RequestedAt time.Time `json:"requestedAt"`
	Release     struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Application string `json:"application"`
	} `json:"release"`
}

// requestPromotion requests a promotion over GraphQL; safe to call from
// any goroutine (it does not stop the test).
func requestPromotion(url, token, rel, env string) (*promotionView, error) {
	return requestPromotionCtx(context.Background(), url, token, rel, env)
}

func requestPromotionCtx(ctx context.Context, url, token, rel, env string) (*promotionView, error) {
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($r: String!, $e: String!) { requestPromotion(release: $r, environment: $e) { id status requestedAt release { id name application } } }`,
		"variables": map[string]any{"r": rel, "e": env},
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data struct {
			RequestPromotion *promotionView `json:"requestPromotion"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("response %d: %s", resp.StatusCode, raw)
	}
	if len(out.Errors) > 0 || out.Data.RequestPromotion == nil {
		return nil, fmt.Errorf("errors: %s", raw)
	}
	return out.Data.RequestPromotion, nil
}

// listPromotions returns every promotion into env.
func listPromotions(t *testing.T, e *env, envName string) []promotionView {
	t.Helper()
	var all []promotionView
	var after any
	for {
		data := e.ok(e.admin, `query($e: String!, $a: String) { promotions(filter: {environment: $e}, first: 100, after: $a) {
			nodes { id status requestedAt release { id name application } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"e": envName, "a": after})
		raw, _ := json.Marshal(path(data, "promotions", "nodes"))
		var page []promotionView
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if path(data, "promotions", "pageInfo", "hasNextPage") != true {
			return all
		}
		after = path(data, "promotions", "pageInfo", "endCursor")
	}
}

func TestLaneDrainOutlivesItsRequest_SQLite(t *testing.T) { laneDrainOutlivesItsRequest(t, "") }

func TestLaneDrainOutlivesItsRequest_PostgreSQL(t *testing.T) {
	laneDrainOutlivesItsRequest(t, testenv.PostgresDSN(t))
}

// laneDrainOutlivesItsRequest: the request whose promotion holds a lane
// deploys what queues behind it. Its client going away (a CLI interrupted,
// an HTTP timeout) must neither leave its own promotion deploying nor
// strand the queued one in approved.
func laneDrainOutlivesItsRequest(t *testing.T, dsn string) {
	obs := newLaneObserver()
	e := newEnv(t, dsn, func(c *server.Config) { c.Deployer = obs })
	digest := e.scannedRelease("seed-v1.0.0")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 0, tier: production}) { id } }`, nil)
	for _, n := range []string{"web-v1.0.0", "web-v2.0.0"} {
		vars := map[string]any{"n": n, "d": digest}
		e.ok(e.admin, `mutation($n: String!) { createRelease(input: {name: $n, application: "web"}) { id } }`, vars)
		e.ok(e.admin, `mutation($n: String!, $d: String!) { addReleaseComponent(release: $n, input: {component: "api", digest: $d}) { id } }`, vars)
		e.ok(e.admin, `mutation($n: String!) { finalizeRelease(key: $n) { id } }`, vars)
	}
	held, let, second := make(chan struct{}), make(chan struct{}), make(chan struct{})
	obs.set(func(_ release.Promotion, rel *release.Release) error {
		switch rel.Name {
		case "web-v1.0.0":
			close(held)
			select {
			case <-let:
			case <-time.After(barrierTimeout):
				return fmt.Errorf("the test never let %s finish", rel.Name)
			}
		case "web-v2.0.0":
			close(second)
		}
		return nil
	})

	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() {
		_, err := requestPromotionCtx(ctx, e.http.URL, e.admin, "web-v1.0.0", "prod")
		gone <- err
	}()
	select {
	case <-held:
	case <-time.After(barrierTimeout):
		t.Fatal("web-v1.0.0 never started deploying")
	}
	if p, err := requestPromotion(e.http.URL, e.admin, "web-v2.0.0", "prod"); err != nil || p.Status != "approved" {
		t.Fatalf("web-v2.0.0 = %+v, %v; want approved, waiting for the lane", p, err)
	}
	cancel() // the holder's client goes away while its deployment runs
	if err := <-gone; err == nil {
		t.Fatal("the cancelled request answered")
	}
	close(let)
	select {
	case <-second:
	case <-time.After(barrierTimeout):
		t.Fatal("web-v2.0.0 was never deployed: the lane's queue was stranded when its holder's client went away")
	}
	e.http.Close() // waits for the holder's handler to return
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	for _, p := range listPromotions(t, e, "prod") {
		if p.Status != "deployed" {
			t.Errorf("%s = %s, want deployed", p.Release.Name, p.Status)
		}
	}
}
