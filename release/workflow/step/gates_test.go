package step

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/fault"
)

// findingsDecider is a small real Decider: it counts the findings recorded
// for a release and denies criticals; a release with no scan yet is pending.
type findingsDecider struct {
	findings map[string][]string // release → severities
	asked    []DecideRequest
}

func (d *findingsDecider) Decide(_ context.Context, req DecideRequest) (Decision, error) {
	d.asked = append(d.asked, req)
	sev, scanned := d.findings[req.Release]
	if !scanned {
		return Decision{Decision: Pending, ReasonCodes: []string{"NO_SCAN"}}, nil
	}
	var dec Decision
	for _, s := range sev {
		switch s {
		case "critical":
			dec.CriticalCount++
		case "high":
			dec.HighCount++
		}
	}
	dec.Decision = Allow
	if dec.CriticalCount > 0 {
		dec.Decision, dec.ReasonCodes = Deny, []string{"CRITICAL_VULNERABILITY"}
	}
	dec.RecordDigest = "sha256:" + strings.Repeat("0", 64)
	return dec, nil
}

func gateInput(release, config string) Input {
	return Input{RunID: "run1", NodeID: "gate", Config: json.RawMessage(config),
		Inputs: map[string]any{"tenant": "acme", "release": release, "environment": "prod"}}
}

func TestSecurityGate(t *testing.T) {
	d := &findingsDecider{findings: map[string][]string{
		"shop@1.0.0": {"high", "low"},
		"shop@2.0.0": {"critical", "high", "high"},
	}}
	s, _ := Builtins(Deps{Decider: d}).Lookup(TypeSecurityGate)

	out, err := s.Run(context.Background(), gateInput("shop@1.0.0", `{"gates": ["cve"]}`))
	if err != nil || out.Waiting || out.Values["decision"] != "allow" || out.Values["highCount"] != 1 || out.Values["criticalCount"] != 0 {
		t.Fatalf("allow: %+v, %v", out, err)
	}
	if got := d.asked[0]; got.Tenant != "acme" || got.Environment != "prod" || !slices.Equal(got.Gates, []string{"cve"}) {
		t.Fatalf("request %+v", got)
	}

	_, err = s.Run(context.Background(), gateInput("shop@2.0.0", `{}`))
	if err == nil || !strings.Contains(err.Error(), "CRITICAL_VULNERABILITY") || IsRetriable(err) {
		t.Fatalf("deny: %v", err)
	}
	out, err = s.Run(context.Background(), gateInput("shop@2.0.0", `{"onDeny": "continue"}`))
	if err != nil || out.Values["decision"] != "deny" || out.Values["criticalCount"] != 1 || out.Values["highCount"] != 2 {
		t.Fatalf("deny, continue: %+v, %v", out, err)
	}

	out, err = s.Run(context.Background(), gateInput("shop@3.0.0", `{}`))
	if err != nil || !out.Waiting || out.Values["decision"] != "pending" {
		t.Fatalf("pending: %+v, %v", out, err)
	}
}

func TestPolicyGate(t *testing.T) {
	d := &findingsDecider{findings: map[string][]string{"shop@2.0.0": {"critical"}}}
	s, _ := Builtins(Deps{Decider: d}).Lookup(TypePolicyGate)
	out, err := s.Run(context.Background(), gateInput("shop@2.0.0", `{"policy": "strict", "onDeny": "continue"}`))
	if err != nil || out.Values["decision"] != "deny" || !slices.Equal(out.Values["reasonCodes"].([]string), []string{"CRITICAL_VULNERABILITY"}) {
		t.Fatalf("%+v, %v", out, err)
	}
	if _, has := out.Values["criticalCount"]; has {
		t.Fatal("policy-gate outputs decision and reasonCodes, not counts")
	}
	if d.asked[0].Policy != "strict" {
		t.Fatalf("policy not passed: %+v", d.asked[0])
	}
}

func TestGateBadInput(t *testing.T) {
	s, _ := Builtins(Deps{Decider: &findingsDecider{}}).Lookup(TypeSecurityGate)
	for config, want := range map[string]string{
		`{"onDeny": "ignore"}`: "config.onDeny",
		`{"gates": [""]}`:      "config.gates[0]",
		`{"gates": "cve"}`:     "config.gates",
	} {
		if _, err := s.Run(context.Background(), gateInput("x@1", config)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %s", config, err, want)
		}
	}
	in := gateInput("x@1", `{}`)
	delete(in.Inputs, "release")
	var verr *fault.ValidationError
	if _, err := s.Run(context.Background(), in); !errors.As(err, &verr) || verr.Fields[0].Field != "inputs.release" {
		t.Fatalf("missing release: %v", err)
	}
}

type failingDecider struct{ err error }

func (d failingDecider) Decide(context.Context, DecideRequest) (Decision, error) {
	return Decision{}, d.err
}

func TestGateUnreachableDeciderIsRetriable(t *testing.T) {
	s, _ := Builtins(Deps{Decider: failingDecider{&fault.UnreachableError{System: "decide", Err: errors.New("down")}}}).Lookup(TypeSecurityGate)
	if _, err := s.Run(context.Background(), gateInput("x@1", `{}`)); !IsRetriable(err) {
		t.Fatalf("unreachable decider: %v should be retriable", err)
	}
	s, _ = Builtins(Deps{Decider: failingDecider{&fault.NotFoundError{Kind: "release", Key: "x@1"}}}).Lookup(TypeSecurityGate)
	if _, err := s.Run(context.Background(), gateInput("x@1", `{}`)); err == nil || IsRetriable(err) {
		t.Fatalf("not found: %v should be final", err)
	}
}
