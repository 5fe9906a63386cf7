package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client speaks GraphQL to a Stella server.
type client struct {
	endpoint string
	token    string
	http     *http.Client
}

func newClient(server, token string) *client {
	return &client{endpoint: strings.TrimRight(server, "/") + "/graphql", token: token, http: &http.Client{Timeout: 5 * time.Minute}}
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
		Fields []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	} `json:"extensions"`
}

// do runs one operation and decodes its data into out. GraphQL errors become an
// *exitError whose code follows the error's extensions.code.
func (c *client) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	raw, status, err := c.sendRetrying(ctx, body, vars)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return withCode(ExitInternal, "server answered %s, not GraphQL: %.200s", status, raw)
	}
	if len(r.Errors) > 0 {
		e := r.Errors[0]
		msg := e.Message
		for _, f := range e.Extensions.Fields {
			msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
		}
		return withCode(codeFor(e.Extensions.Code), "%s: %s", e.Extensions.Code, msg)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

// send posts one request body. A transport error (no answer, or half of
// one) is a *transportError: the server may or may not have run the
// operation.
func (c *client) send(ctx context.Context, body []byte) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, "", withCode(ExitUsage, "server URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", &transportError{fmt.Errorf("cannot reach the Stella server at %s: %w", c.endpoint, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", &transportError{fmt.Errorf("reading the response: %w", err)}
	}
	return raw, resp.Status, nil
}
