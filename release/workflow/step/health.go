package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// HealthCheck probes targets over HTTP or TCP, retrying within the step.
//
// Config:
//
//	{"checks": [
//	   {"name": "web", "http": "http://web:8080/healthz", "statusMin": 200, "statusMax": 299,
//	    "bodyContains": "ok", "timeoutSeconds": 5},
//	   {"name": "db", "tcp": "db:5432"}],
//	 "attempts": 3, "intervalSeconds": 2, "onUnhealthy": "fail"}
//
// Defaults: status 200…399, timeout 5 s, 1 attempt, 5 s apart, name = the
// URL or address. A round passes when every check passes; failing checks are
// tried again after the interval. Outputs: healthy, failedTargets (sorted
// names). Unhealthy after the last attempt fails the node (final: the
// retries happened here) unless onUnhealthy is "continue".
type HealthCheck struct {
	Client *http.Client // nil: a client that does not follow redirects
	Dialer *net.Dialer  // nil: a zero Dialer
}

type healthConfig struct {
	Checks          []healthTarget `json:"checks"`
	Attempts        int            `json:"attempts"`
	IntervalSeconds float64        `json:"intervalSeconds"`
	OnUnhealthy     string         `json:"onUnhealthy"`
}

type healthTarget struct {
	Name           string  `json:"name"`
	HTTP           string  `json:"http"`
	TCP            string  `json:"tcp"`
	StatusMin      int     `json:"statusMin"`
	StatusMax      int     `json:"statusMax"`
	BodyContains   string  `json:"bodyContains"`
	TimeoutSeconds float64 `json:"timeoutSeconds"`
}

func decodeHealth(raw []byte) (healthConfig, error) {
	var cfg healthConfig
	if err := DecodeConfig(raw, &cfg); err != nil {
		return cfg, err
	}
	switch {
	case cfg.Attempts < 0 || cfg.Attempts > 100:
		return cfg, invalid("attempts", "want 1…100, got %d", cfg.Attempts)
	case cfg.Attempts == 0:
		cfg.Attempts = 1
	}
	switch {
	case cfg.IntervalSeconds < 0 || cfg.IntervalSeconds > 3600:
		return cfg, invalid("intervalSeconds", "want 0…3600, got %v", cfg.IntervalSeconds)
	case cfg.IntervalSeconds == 0:
		cfg.IntervalSeconds = 5
	}
	if cfg.OnUnhealthy != "" && cfg.OnUnhealthy != "fail" && cfg.OnUnhealthy != "continue" {
		return cfg, invalid("onUnhealthy", "want \"fail\" or \"continue\", got %q", cfg.OnUnhealthy)
	}
	seen := map[string]bool{}
	for i := range cfg.Checks {
		c := &cfg.Checks[i]
		f := fmt.Sprintf("checks[%d]", i)
		switch {
		case (c.HTTP == "") == (c.TCP == ""):
			return cfg, invalid(f, "want exactly one of http or tcp")
		case c.HTTP != "":
			u, err := url.Parse(c.HTTP)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return cfg, invalid(f+".http", "want an http(s) URL, got %q", c.HTTP)
			}
		default:
			if _, _, err := net.SplitHostPort(c.TCP); err != nil {
				return cfg, invalid(f+".tcp", "want host:port, got %q", c.TCP)
			}
			if c.StatusMin != 0 || c.StatusMax != 0 || c.BodyContains != "" {
				return cfg, invalid(f, "statusMin, statusMax and bodyContains apply to http checks only")
			}
		}
		if c.StatusMin == 0 {
			c.StatusMin = 200
		}
		if c.StatusMax == 0 {
			c.StatusMax = 399
		}
		if c.StatusMin < 100 || c.StatusMax > 599 || c.StatusMin > c.StatusMax {
			return cfg, invalid(f+".statusMin", "want 100 ≤ statusMin ≤ statusMax ≤ 599, got %d…%d", c.StatusMin, c.StatusMax)
		}
		switch {
		case c.TimeoutSeconds < 0 || c.TimeoutSeconds > 600:
			return cfg, invalid(f+".timeoutSeconds", "want 0…600, got %v", c.TimeoutSeconds)
		case c.TimeoutSeconds == 0:
			c.TimeoutSeconds = 5
		}
		if c.Name == "" {
			c.Name = c.HTTP + c.TCP
		}
		if seen[c.Name] {
			return cfg, invalid(f+".name", "duplicate name %q", c.Name)
		}
		seen[c.Name] = true
	}
	return cfg, nil
}

// Run implements Step.
func (h HealthCheck) Run(ctx context.Context, in Input) (Output, error) {
	cfg, err := decodeHealth(in.Config)
	if err != nil {
		return Output{}, err
	}
	if len(cfg.Checks) == 0 {
		// default-deploy's health-check: the deployment job's own checks
		// (deploy.md §2) are all there is to pass.
		logf(in, "no checks configured: the deployment's own health checks apply")
		return Output{Values: map[string]any{"healthy": true, "failedTargets": []string{}}}, nil
	}
	pending := cfg.Checks
	for attempt := 1; ; attempt++ {
		var failed []healthTarget
		for _, c := range pending {
			if err := h.probe(ctx, c); err != nil {
				if ctx.Err() != nil {
					return Output{}, ctx.Err()
				}
				logf(in, "attempt %d: %s: %v", attempt, c.Name, err)
				failed = append(failed, c)
			}
		}
		pending = failed
		if len(pending) == 0 || attempt == cfg.Attempts {
			break
		}
		t := time.NewTimer(time.Duration(cfg.IntervalSeconds * float64(time.Second)))
		select {
		case <-ctx.Done():
			t.Stop()
			return Output{}, ctx.Err()
		case <-t.C:
		}
	}
	names := []string{}
	for _, c := range pending {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	out := Output{Values: map[string]any{"healthy": len(names) == 0, "failedTargets": names}}
	if len(names) > 0 && cfg.OnUnhealthy != "continue" {
		return out, fmt.Errorf("unhealthy after %d attempts: %s", cfg.Attempts, strings.Join(names, ", "))
	}
	return out, nil
}

func (h HealthCheck) probe(ctx context.Context, c healthTarget) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(c.TimeoutSeconds*float64(time.Second)))
	defer cancel()
	if c.TCP != "" {
		d := h.Dialer
		if d == nil {
			d = &net.Dialer{}
		}
		conn, err := d.DialContext(ctx, "tcp", c.TCP)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.HTTP, nil)
	if err != nil {
		return err
	}
	client := h.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < c.StatusMin || resp.StatusCode > c.StatusMax {
		return fmt.Errorf("status %d, want %d…%d", resp.StatusCode, c.StatusMin, c.StatusMax)
	}
	if c.BodyContains == "" {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if !strings.Contains(string(body), c.BodyContains) {
		return fmt.Errorf("body does not contain %q", c.BodyContains)
	}
	return nil
}
