package step

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/template"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/canon"
)

// notify renders a message and hands it to an integration.
//
// Config: {"integration": "slack-releases", "template": "{{.Inputs.release}} is in {{.Inputs.environment}}"}
// The template (text/template, missing keys are errors) sees .RunID,
// .NodeID, .Inputs and `ref "nodes.<id>.outputs.<k>"`; never the secrets.
// The payload is canonical JSON {"nodeId", "runId", "text"}. Outputs: none.
type notify struct{ n Notifier }

type notifyConfig struct {
	Integration string `json:"integration"`
	Template    string `json:"template"`
}

func (s notify) Run(ctx context.Context, in Input) (Output, error) {
	var cfg notifyConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if strings.TrimSpace(cfg.Integration) == "" {
		return Output{}, invalid("integration", "required")
	}
	tmpl, err := parseMessage(cfg.Template)
	if err != nil {
		return Output{}, err
	}
	if s.n == nil {
		return Output{}, missing("notifier")
	}
	text, err := renderMessage(tmpl, in)
	if err != nil {
		return Output{}, err
	}
	payload, err := canon.Marshal(map[string]any{"runId": in.RunID, "nodeId": in.NodeID, "text": text})
	if err != nil {
		return Output{}, err
	}
	if err := s.n.Notify(ctx, cfg.Integration, payload); err != nil {
		return Output{}, depErr("notify "+cfg.Integration, err)
	}
	logf(in, "notified %s", cfg.Integration)
	return Output{}, nil
}

func parseMessage(src string) (*template.Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, invalid("template", "required")
	}
	t, err := template.New("message").Option("missingkey=error").
		Funcs(template.FuncMap{"ref": func(string) (any, error) { return nil, nil }}).Parse(src)
	if err != nil {
		return nil, invalid("template", "%v", err)
	}
	return t, nil
}

func renderMessage(t *template.Template, in Input) (string, error) {
	ref := func(r string) (any, error) {
		if in.Lookup != nil {
			if v, ok := in.Lookup(r); ok {
				return v, nil
			}
		}
		return nil, fmt.Errorf("ref %q: not in the run's scope", r)
	}
	data := struct {
		RunID, NodeID string
		Inputs        map[string]any
	}{in.RunID, in.NodeID, in.Inputs}
	var b strings.Builder
	if err := t.Funcs(template.FuncMap{"ref": ref}).Execute(&b, data); err != nil {
		return "", invalid("template", "%v", err)
	}
	return b.String(), nil
}

// WebhookNotifier posts a payload as JSON to the URL of an integration.
// A 5xx answer or a network error is retriable; any other non-2xx is final.
// Errors name the integration, never the URL (webhook URLs carry tokens).
type WebhookNotifier struct {
	Client *http.Client                             // nil: http.DefaultClient
	URL    func(integration string) (string, error) // resolves an integration to its webhook URL
}

// Notify implements Notifier.
func (w WebhookNotifier) Notify(ctx context.Context, integration string, payload []byte) error {
	if w.URL == nil {
		return fmt.Errorf("webhook notifier: no URL resolver")
	}
	url, err := w.URL(integration)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("integration %q: bad webhook URL", integration)
	}
	req.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// *url.Error repeats the URL; keep only the cause.
		var cause error = err
		if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
			cause = u.Unwrap()
		}
		return Retriable(&fault.UnreachableError{System: fmt.Sprintf("webhook %q", integration), Err: cause})
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500:
		return Retriable(fmt.Errorf("webhook %q answered %s: %s", integration, resp.Status, strings.TrimSpace(string(body))))
	}
	return fmt.Errorf("webhook %q answered %s: %s", integration, resp.Status, strings.TrimSpace(string(body)))
}
