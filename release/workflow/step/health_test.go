package step

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func healthRun(t *testing.T, config string) (Output, error) {
	t.Helper()
	s, _ := Builtins(Deps{}).Lookup(TypeHealthCheck)
	return s.Run(context.Background(), Input{RunID: "r", NodeID: "hc", Config: json.RawMessage(config)})
}

func TestHealthCheckHTTPAndTCP(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			fmt.Fprint(w, `{"status":"ok"}`)
		case "/flaky": // healthy from the third request on
			if calls.Add(1) < 3 {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "ok")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()

	cfg := fmt.Sprintf(`{"checks": [
		{"name": "web", "http": %q, "bodyContains": "\"ok\""},
		{"name": "db", "tcp": %q},
		{"name": "flaky", "http": %q, "statusMax": 299}],
		"attempts": 3, "intervalSeconds": 0.01}`, srv.URL+"/healthz", ln.Addr(), srv.URL+"/flaky")
	out, err := healthRun(t, cfg)
	if err != nil || out.Values["healthy"] != true || len(out.Values["failedTargets"].([]string)) != 0 {
		t.Fatalf("healthy: %+v, %v", out, err)
	}

	cfg = fmt.Sprintf(`{"checks": [
		{"name": "web", "http": %q},
		{"name": "wrong-body", "http": %q, "bodyContains": "green"},
		{"name": "missing", "http": %q},
		{"name": "dead", "tcp": %q, "timeoutSeconds": 1}],
		"attempts": 2, "intervalSeconds": 0.01}`, srv.URL+"/healthz", srv.URL+"/healthz", srv.URL+"/nope", deadAddr)
	out, err = healthRun(t, cfg)
	want := []string{"dead", "missing", "wrong-body"}
	if err == nil || IsRetriable(err) || !strings.Contains(err.Error(), "dead, missing, wrong-body") {
		t.Fatalf("unhealthy: %v", err)
	}
	if out.Values["healthy"] != false || !slices.Equal(out.Values["failedTargets"].([]string), want) {
		t.Fatalf("unhealthy outputs %+v", out.Values)
	}
	out, err = healthRun(t, strings.Replace(cfg, `"attempts": 2`, `"attempts": 1, "onUnhealthy": "continue"`, 1))
	if err != nil || out.Values["healthy"] != false || !slices.Equal(out.Values["failedTargets"].([]string), want) {
		t.Fatalf("continue: %+v, %v", out, err)
	}
}

func TestHealthCheckWithoutChecksLeavesItToTheDeployment(t *testing.T) {
	var log strings.Builder
	out, err := HealthCheck{}.Run(context.Background(), Input{Config: []byte(`{}`), Log: &log})
	if err != nil || out.Values["healthy"] != true || len(out.Values["failedTargets"].([]string)) != 0 {
		t.Fatalf("no checks: %v %v", out, err)
	}
	if !strings.Contains(log.String(), "deployment's own health checks") {
		t.Errorf("log %q does not say why nothing was checked", log.String())
	}
}

func TestHealthCheckConfig(t *testing.T) {
	for config, want := range map[string]string{
		`{"checks": [{"http": "http://a"}], "onUnhealthy": "x"}`:                 "config.onUnhealthy",
		`{"checks": [{"http": "http://a", "tcp": "a:1"}]}`:                       "config.checks[0]",
		`{"checks": [{"http": "ftp://a"}]}`:                                      "config.checks[0].http",
		`{"checks": [{"tcp": "nohost"}]}`:                                        "config.checks[0].tcp",
		`{"checks": [{"tcp": "a:1", "bodyContains": "x"}]}`:                      "config.checks[0]",
		`{"checks": [{"http": "http://a", "statusMin": 500, "statusMax": 200}]}`: "config.checks[0].statusMin",
		`{"checks": [{"tcp": "a:1"}, {"tcp": "a:1"}]}`:                           "config.checks[1].name",
		`{"checks": [{"tcp": "a:1"}], "attempts": 1000}`:                         "config.attempts",
		`{"checks": [{"tcp": "a:1"}], "onUnhealthy": "ignore"}`:                  "config.onUnhealthy",
		`{"checks": [{"tcp": "a:1", "timeoutSeconds": -1}]}`:                     "config.checks[0].timeoutSeconds",
	} {
		if _, err := healthRun(t, config); err == nil || !strings.Contains(err.Error(), want+":") || IsRetriable(err) {
			t.Errorf("%s: %v, want a final error naming %s", config, err, want)
		}
	}
}

func TestHealthCheckHonoursCancel(t *testing.T) {
	s, _ := Builtins(Deps{}).Lookup(TypeHealthCheck)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Run(ctx, Input{Config: json.RawMessage(`{"checks": [{"tcp": "127.0.0.1:1"}], "attempts": 5, "intervalSeconds": 60}`)})
	if err != context.Canceled {
		t.Fatalf("err %v", err)
	}
}
