package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/stella-ops/stella/fault"
)

// Type names of the built-in steps.
const (
	TypeSecurityGate = "security-gate"
	TypePolicyGate   = "policy-gate"
	TypeApproval     = "approval"
	TypeManual       = "manual"
	TypeDeploy       = "deploy"
	TypeHealthCheck  = "health-check"
	TypeRollback     = "rollback"
	TypeNotify       = "notify"
	TypeWait         = "wait"
	TypeScript       = "script"
)

// Builtins returns a registry holding the ten built-in steps wired to d.
// Callers may Register their own types on it.
func Builtins(d Deps) *Registry {
	r := NewRegistry()
	r.Register(TypeSecurityGate, securityGate{d.Decider})
	r.Register(TypePolicyGate, policyGate{d.Decider})
	r.Register(TypeApproval, approval{d.Approvals})
	r.Register(TypeManual, manual{d.Approvals})
	r.Register(TypeDeploy, deploy{d.Deployer})
	r.Register(TypeHealthCheck, HealthCheck{})
	r.Register(TypeRollback, rollback{d.Deployer})
	r.Register(TypeNotify, notify{d.Notifier})
	r.Register(TypeWait, StepFunc(wait))
	r.Register(TypeScript, Script{})
	return r
}

// inputString reads a run input that must be a non-empty string.
func inputString(in Input, key string) (string, error) {
	v, ok := in.Inputs[key]
	if !ok {
		return "", fault.Invalid("inputs."+key, "missing run input")
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", fault.Invalid("inputs."+key, "want a non-empty string, got %T %v", v, v)
	}
	return s, nil
}

// optionalString reads a run input that may be absent.
func optionalString(in Input, key string) string {
	s, _ := in.Inputs[key].(string)
	return s
}

// depErr passes a dependency's error on, marking the kinds a later attempt
// may get past (an unreachable system, a deadline) as retriable.
func depErr(what string, err error) error {
	err = fmt.Errorf("%s: %w", what, err)
	if errors.Is(err, fault.ErrUnreachable) || errors.Is(err, context.DeadlineExceeded) {
		return Retriable(err)
	}
	return err
}

// idempotencyKey is the same for every attempt of a node, so a deployment
// started by an attempt whose end was never recorded is not started twice.
func idempotencyKey(in Input) string { return in.RunID + "/" + in.NodeID }

func logf(in Input, format string, args ...any) {
	if in.Log != nil {
		fmt.Fprintf(in.Log, format+"\n", args...)
	}
}
