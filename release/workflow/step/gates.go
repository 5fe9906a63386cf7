package step

import (
	"context"
	"fmt"
	"strings"
)

// onDeny says what a gate step does with a deny: "fail" (the default)
// fails the node so nothing after it runs; "continue" succeeds with
// decision "deny" for a later node's `when` to read.
func checkOnDeny(v string) error {
	switch v {
	case "", "fail", "continue":
		return nil
	}
	return invalid("onDeny", "want \"fail\" or \"continue\", got %q", v)
}

// securityGate runs the named gates (empty: the environment's gates).
//
// Config: {"gates": ["cve-critical", …], "onDeny": "fail"|"continue"}
// Outputs: criticalCount, highCount, decision (allow|deny|pending), recordDigest.
// A pending decision leaves the node waiting.
type securityGate struct{ d Decider }

type securityGateConfig struct {
	Gates  []string `json:"gates"`
	OnDeny string   `json:"onDeny"`
}

func (g securityGate) Run(ctx context.Context, in Input) (Output, error) {
	var cfg securityGateConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if err := checkOnDeny(cfg.OnDeny); err != nil {
		return Output{}, err
	}
	for i, id := range cfg.Gates {
		if strings.TrimSpace(id) == "" {
			return Output{}, invalid(fmt.Sprintf("gates[%d]", i), "empty gate id")
		}
	}
	return decide(ctx, g.d, in, cfg.OnDeny, DecideRequest{Gates: cfg.Gates})
}

// policyGate evaluates a policy bundle (empty: the environment's policy).
//
// Config: {"policy": "bundle-name", "onDeny": "fail"|"continue"}
// Outputs: decision, reasonCodes, recordDigest. Pending leaves the node waiting.
type policyGate struct{ d Decider }

type policyGateConfig struct {
	Policy string `json:"policy"`
	OnDeny string `json:"onDeny"`
}

func (g policyGate) Run(ctx context.Context, in Input) (Output, error) {
	var cfg policyGateConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if err := checkOnDeny(cfg.OnDeny); err != nil {
		return Output{}, err
	}
	out, err := decide(ctx, g.d, in, cfg.OnDeny, DecideRequest{Policy: cfg.Policy})
	if out.Values != nil {
		delete(out.Values, "criticalCount")
		delete(out.Values, "highCount")
	}
	return out, err
}

func decide(ctx context.Context, d Decider, in Input, onDeny string, req DecideRequest) (Output, error) {
	if d == nil {
		return Output{}, missing("decider")
	}
	var err error
	if req.Tenant, req.Release, req.Environment, err = subject(in); err != nil {
		return Output{}, err
	}
	dec, err := d.Decide(ctx, req)
	if err != nil {
		return Output{}, depErr("decide", err)
	}
	reasons := dec.ReasonCodes
	if reasons == nil {
		reasons = []string{}
	}
	out := Output{Values: map[string]any{
		"decision":      dec.Decision,
		"reasonCodes":   reasons,
		"criticalCount": dec.CriticalCount,
		"highCount":     dec.HighCount,
		"recordDigest":  dec.RecordDigest,
	}}
	logf(in, "decision %s for %s in %s (critical %d, high %d) %s", dec.Decision, req.Release, req.Environment,
		dec.CriticalCount, dec.HighCount, strings.Join(reasons, ","))
	switch dec.Decision {
	case Allow:
		return out, nil
	case Pending:
		out.Waiting = true
		return out, nil
	case Deny:
		if onDeny == "continue" {
			return out, nil
		}
		return out, fmt.Errorf("denied: %s", strings.Join(reasons, ", "))
	}
	return Output{}, fmt.Errorf("decider answered %q, want allow, deny or pending", dec.Decision)
}

// subject is what a run deploys or decides on: its tenant (optional for a
// library caller with one tenant), release and environment inputs.
func subject(in Input) (tenant, release, environment string, err error) {
	if release, err = inputString(in, "release"); err != nil {
		return "", "", "", err
	}
	if environment, err = inputString(in, "environment"); err != nil {
		return "", "", "", err
	}
	return optionalString(in, "tenant"), release, environment, nil
}
