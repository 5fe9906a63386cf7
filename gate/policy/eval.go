package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// EvalOption configures one Eval.
type EvalOption func(*evalConfig)

type evalConfig struct {
	timeout    time.Duration
	timeoutSet bool
	trace      bool
}

// EvalTimeout overrides the Prepared timeout for this evaluation; d <= 0
// leaves only the caller's context to bound it.
func EvalTimeout(d time.Duration) EvalOption {
	return func(c *evalConfig) { c.timeout, c.timeoutSet = d, true }
}

// EvalTrace records OPA's evaluation trace into Output.Trace, for explain.
// Tracing slows evaluation down considerably.
func EvalTrace(yes bool) EvalOption {
	return func(c *evalConfig) { c.trace = yes }
}

// Eval evaluates the policy on input with time.now_ns() pinned to cutoff.
// input is any value encoding/json can marshal (times become RFC 3339
// strings); an *Input or an ast.Value is used as is. An *Error reports why the policy gave
// no decision; then only Output.Trace (when asked for) is filled.
func (p *Prepared) Eval(ctx context.Context, input any, cutoff time.Time, opts ...EvalOption) (Output, error) {
	cfg := evalConfig{timeout: p.timeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cutoff.IsZero() {
		return Output{}, errors.New("policy: Eval: zero cut-off")
	}
	in, err := inputValue(input)
	if err != nil {
		return Output{}, err
	}

	evalCtx := ctx
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		evalCtx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	eopts := []rego.EvalOption{rego.EvalParsedInput(in), rego.EvalTime(cutoff)}
	var tracer *topdown.BufferTracer
	if cfg.trace {
		tracer = topdown.NewBufferTracer()
		eopts = append(eopts, rego.EvalQueryTracer(tracer))
	}

	rs, err := p.query.Eval(evalCtx, eopts...)
	var out Output
	if tracer != nil {
		out.Trace = traceLines(*tracer)
	}
	if err != nil {
		return out, evalError(evalCtx, err)
	}
	if len(rs) == 0 {
		return out, &Error{Kind: KindUndefined, Err: fmt.Errorf("%s.deny is undefined (no such package or rule)", Package)}
	}
	if len(rs) > 1 {
		// Cannot happen for this query; fail closed rather than pick one.
		return out, &Error{Kind: KindInvalidOutput, Err: fmt.Errorf("%d results for %s", len(rs), Package)}
	}
	if out.Deny, err = parseRules("deny", rs[0].Bindings["deny"]); err != nil {
		return out, err
	}
	if warn, _ := rs[0].Bindings["warn"].([]any); len(warn) == 1 {
		if out.Warn, err = parseRules("warn", warn[0]); err != nil {
			return Output{Trace: out.Trace}, err
		}
	}
	return out, nil
}

func evalError(evalCtx context.Context, err error) *Error {
	if cerr := evalCtx.Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return &Error{Kind: KindTimeout, Err: cerr}
		}
		return &Error{Kind: KindRuntime, Err: cerr}
	}
	e := &Error{Kind: KindRuntime, Err: err}
	var te *topdown.Error
	if errors.As(err, &te) {
		m := Message{Code: te.Code, Text: te.Message}
		if te.Location != nil {
			m.File, m.Row, m.Col = te.Location.File, te.Location.Row, te.Location.Col
		}
		e.Messages = []Message{m}
	}
	return e
}

func traceLines(events []*topdown.Event) []string {
	var b strings.Builder
	topdown.PrettyTraceWithLocation(&b, events)
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
}
