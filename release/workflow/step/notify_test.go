package step

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stella-ops/stella/fault"
)

func webhook(status int, got chan<- []byte) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if got != nil {
			got <- body
		}
		w.WriteHeader(status)
		io.WriteString(w, http.StatusText(status))
	}))
}

func notifierFor(url string) WebhookNotifier {
	return WebhookNotifier{URL: func(name string) (string, error) {
		if name != "chat" {
			return "", &fault.NotFoundError{Kind: "integration", Key: name}
		}
		return url, nil
	}}
}

func TestNotifyRendersAndPosts(t *testing.T) {
	got := make(chan []byte, 1)
	srv := webhook(http.StatusNoContent, got)
	defer srv.Close()
	s, _ := Builtins(Deps{Notifier: notifierFor(srv.URL)}).Lookup(TypeNotify)
	in := Input{RunID: "run1", NodeID: "tell", Inputs: map[string]any{"release": "shop@2.0.0", "environment": "prod"},
		Config: json.RawMessage(`{"integration": "chat", "template": "{{.Inputs.release}} → {{.Inputs.environment}}, job {{ref \"nodes.deploy.outputs.deploymentJobId\"}}"}`),
		Lookup: func(ref string) (any, bool) {
			if ref == "nodes.deploy.outputs.deploymentJobId" {
				return "job-7", true
			}
			return nil, false
		}}
	if _, err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	want := `{"nodeId":"tell","runId":"run1","text":"shop@2.0.0 → prod, job job-7"}`
	if body := string(<-got); body != want {
		t.Fatalf("payload %s, want %s", body, want)
	}

	in.Config = json.RawMessage(`{"integration": "chat", "template": "{{.Inputs.missing}}"}`)
	if _, err := s.Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "config.template") {
		t.Fatalf("missing key: %v", err)
	}
	in.Config = json.RawMessage(`{"integration": "chat", "template": "{{ref \"nodes.x.outputs.y\"}}"}`)
	if _, err := s.Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "not in the run's scope") {
		t.Fatalf("unknown ref: %v", err)
	}
	in.Config = json.RawMessage(`{"integration": "chat", "template": "{{.Inputs"}`)
	if _, err := s.Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "config.template") {
		t.Fatalf("bad template: %v", err)
	}
	in.Config = json.RawMessage(`{"integration": "pager", "template": "x"}`)
	if _, err := s.Run(context.Background(), in); !errors.Is(err, fault.ErrNotFound) || IsRetriable(err) {
		t.Fatalf("unknown integration: %v", err)
	}
}

func TestWebhookNotifierStatuses(t *testing.T) {
	for _, tc := range []struct {
		status    int
		ok, retry bool
	}{
		{http.StatusOK, true, false},
		{http.StatusServiceUnavailable, false, true},
		{http.StatusInternalServerError, false, true},
		{http.StatusBadRequest, false, false},
		{http.StatusNotFound, false, false},
	} {
		srv := webhook(tc.status, nil)
		err := notifierFor(srv.URL).Notify(context.Background(), "chat", []byte(`{"text":"hi"}`))
		srv.Close()
		if (err == nil) != tc.ok || IsRetriable(err) != tc.retry {
			t.Errorf("status %d: err %v retriable %v", tc.status, err, IsRetriable(err))
		}
		if err != nil && strings.Contains(err.Error(), srv.URL) {
			t.Errorf("status %d: the error shows the webhook URL: %v", tc.status, err)
		}
	}
	srv := webhook(http.StatusOK, nil)
	srv.Close() // nothing listens any more
	err := notifierFor(srv.URL+"/hook?token=secret").Notify(context.Background(), "chat", []byte(`{}`))
	if !IsRetriable(err) || !errors.Is(err, fault.ErrUnreachable) || strings.Contains(err.Error(), "token=secret") {
		t.Fatalf("closed server: %v", err)
	}
}
