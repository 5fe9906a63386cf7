package policy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// DefaultTimeout bounds one evaluation unless WithTimeout or EvalTimeout says otherwise.
const DefaultTimeout = 5 * time.Second

// Package is where a policy's deny and warn rules live.
const Package = "data.stella.release"

// query reads deny and warn only, so helper rules of the package are
// evaluated just as far as deny and warn need them. deny undefined makes the
// whole query undefined; warn is wrapped so that its absence is [] and any
// value it has (well-formed or not) reaches the output parser.
const query = "deny := " + Package + ".deny; warn := [w | w := " + Package + ".warn]"

// Option configures Prepare.
type Option func(*prepareConfig)

type prepareConfig struct {
	timeout time.Duration
}

// WithTimeout sets the default timeout of every Eval (DefaultTimeout when not
// given). d <= 0 leaves only the caller's context to bound evaluation.
func WithTimeout(d time.Duration) Option {
	return func(c *prepareConfig) { c.timeout = d }
}

// Prepared is a compiled bundle, ready to evaluate. It is safe for concurrent
// use by many goroutines.
type Prepared struct {
	digest  string
	query   rego.PreparedEvalQuery
	timeout time.Duration
}

// Digest is the digest of the bundle it was prepared from.
func (p *Prepared) Digest() string { return p.digest }

// Prepare parses and compiles the bundle's modules once. A bundle that does
// not parse or compile, or that calls an excluded built-in, gives an *Error
// of KindCompile whose Messages name the file and line.
func Prepare(ctx context.Context, b *Bundle, opts ...Option) (*Prepared, error) {
	if b == nil {
		return nil, errors.New("policy: Prepare: nil bundle")
	}
	cfg := prepareConfig{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	caps, excluded := capabilities()

	ropts := []func(*rego.Rego){
		rego.Query(query),
		rego.Capabilities(caps),
		rego.StrictBuiltinErrors(true),
		rego.SetRegoVersion(ast.RegoV1),
		rego.Store(store(b.data)),
	}
	var parseErrs ast.Errors
	for _, p := range b.modules() {
		m, err := ast.ParseModuleWithOpts(p, string(b.files[p]), ast.ParserOptions{
			RegoVersion:  ast.RegoV1,
			Capabilities: caps,
		})
		if err != nil {
			parseErrs = append(parseErrs, asASTErrors(err, p)...)
			continue
		}
		ropts = append(ropts, rego.ParsedModule(m))
	}
	if len(parseErrs) > 0 {
		return nil, compileError(parseErrs, excluded)
	}
	pq, err := rego.New(ropts...).PrepareForEval(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("policy: prepare: %w", ctx.Err())
		}
		return nil, compileError(asASTErrors(err, ""), excluded)
	}
	return &Prepared{digest: b.digest, query: pq, timeout: cfg.timeout}, nil
}

func store(data map[string]any) storage.Store {
	if data == nil {
		return inmem.New()
	}
	return inmem.NewFromObject(data)
}

// asASTErrors unpacks OPA's compile errors; anything else becomes one message.
func asASTErrors(err error, file string) ast.Errors {
	var errs ast.Errors
	if errors.As(err, &errs) {
		return errs
	}
	var one *ast.Error
	if errors.As(err, &one) {
		return ast.Errors{one}
	}
	return ast.Errors{{Code: "rego_compile_error", Message: err.Error(), Location: &ast.Location{File: file}}}
}

// OPA reports a built-in missing from the capabilities as an undefined
// function; say instead that it is excluded, and why.
var undefinedFunction = regexp.MustCompile(`^undefined function ([A-Za-z0-9_.]+)$`)

func compileError(errs ast.Errors, excluded map[string]string) *Error {
	e := &Error{Kind: KindCompile, Err: errs}
	for _, ae := range errs {
		m := Message{Code: ae.Code, Text: ae.Message}
		if ae.Location != nil {
			m.File, m.Row, m.Col = ae.Location.File, ae.Location.Row, ae.Location.Col
		}
		if sm := undefinedFunction.FindStringSubmatch(ae.Message); sm != nil {
			if why, ok := excluded[sm[1]]; ok {
				m.Text = fmt.Sprintf("built-in %s is not allowed in policies (%s)", sm[1], why)
			}
		}
		e.Messages = append(e.Messages, m)
	}
	return e
}
