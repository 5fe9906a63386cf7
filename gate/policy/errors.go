package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies why a policy could not produce a decision. Every kind fails
// the policy gate; the kind only picks the reason code.
type Kind int

const (
	KindCompile       Kind = iota + 1 // the bundle does not compile, or uses an excluded built-in
	KindRuntime                       // evaluation raised an error (strict built-in errors, conflicts…)
	KindTimeout                       // evaluation ran past its timeout
	KindUndefined                     // data.stella.release.deny is undefined
	KindInvalidOutput                 // deny or warn has the wrong shape, or a code is malformed
)

// Sentinels that errors.Is matches against an *Error of the same Kind.
var (
	ErrCompile       = errors.New("policy: compile error")
	ErrRuntime       = errors.New("policy: runtime error")
	ErrTimeout       = errors.New("policy: evaluation timed out")
	ErrUndefined     = errors.New("policy: deny is undefined")
	ErrInvalidOutput = errors.New("policy: invalid output")
)

func (k Kind) String() string {
	switch k {
	case KindCompile:
		return "compile"
	case KindRuntime:
		return "runtime"
	case KindTimeout:
		return "timeout"
	case KindUndefined:
		return "undefined"
	case KindInvalidOutput:
		return "invalid-output"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ReasonCode is the gate reason code for a failure of this kind.
func (k Kind) ReasonCode() string {
	switch k {
	case KindCompile:
		return "policy.compile-error"
	case KindRuntime:
		return "policy.runtime-error"
	case KindTimeout:
		return "gate.timeout"
	case KindUndefined:
		return "policy.undefined"
	case KindInvalidOutput:
		return "policy.invalid-output"
	}
	return "gate.error"
}

func (k Kind) sentinel() error {
	switch k {
	case KindCompile:
		return ErrCompile
	case KindRuntime:
		return ErrRuntime
	case KindTimeout:
		return ErrTimeout
	case KindUndefined:
		return ErrUndefined
	case KindInvalidOutput:
		return ErrInvalidOutput
	}
	return nil
}

// Message is one located problem, as OPA reports it.
type Message struct {
	File string // bundle path, slash-separated; empty when OPA gives no location
	Row  int
	Col  int
	Code string // OPA's error code, e.g. rego_parse_error, eval_builtin_error
	Text string
}

func (m Message) String() string {
	var b strings.Builder
	if m.File != "" {
		fmt.Fprintf(&b, "%s:%d:%d: ", m.File, m.Row, m.Col)
	}
	if m.Code != "" {
		b.WriteString(m.Code)
		b.WriteString(": ")
	}
	b.WriteString(m.Text)
	return b.String()
}

// Error is the outcome of a policy that did not yield a decision. Errors that
// Prepare or Eval return which are not *Error are the caller's mistakes
// (an input that does not encode as JSON, a zero cut-off, a nil bundle).
type Error struct {
	Kind     Kind
	Messages []Message // located problems (compile and runtime errors), in OPA's order
	Err      error     // the underlying error, if any (OPA's, or the context's)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("policy: ")
	b.WriteString(e.Kind.String())
	switch {
	case len(e.Messages) == 1:
		b.WriteString(": ")
		b.WriteString(e.Messages[0].String())
	case len(e.Messages) > 1:
		fmt.Fprintf(&b, ": %d errors:", len(e.Messages))
		for _, m := range e.Messages {
			b.WriteString("\n\t")
			b.WriteString(m.String())
		}
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// ReasonCode returns the gate reason code, e.g. "policy.undefined".
func (e *Error) ReasonCode() string { return e.Kind.ReasonCode() }

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTimeout) and friends work.
func (e *Error) Is(target error) bool { return target != nil && target == e.Kind.sentinel() }

// KindOf returns the Kind of an *Error in err's chain, or 0.
func KindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}
