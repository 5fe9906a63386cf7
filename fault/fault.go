package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels that callers test with errors.Is; the typed errors below match
// them, so a caller that only needs the kind never names the type.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrValidation   = errors.New("validation failed")
	ErrUnreachable  = errors.New("unreachable")
	ErrPrecondition = errors.New("precondition failed")
)

// NotFoundError names the object that does not exist (or belongs to another tenant).
type NotFoundError struct {
	Kind string // "environment", "release", …
	Key  string // the id or name asked for
}

func (e *NotFoundError) Error() string        { return fmt.Sprintf("%s %q not found", e.Kind, e.Key) }
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ConflictError says why a change clashes with the state of an object.
type ConflictError struct {
	Kind, Key string
	Reason    string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Kind, e.Key, e.Reason)
}
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// PreconditionError is a business rule that refuses a well-formed request
// (a draft release, the requester approving their own promotion). Code is a
// stable word callers branch on and the API returns as its reason.
type PreconditionError struct {
	Kind, Key string
	Code      string // e.g. "SOD_VIOLATION", "RELEASE_NOT_FINALIZED"
	Reason    string
}

func (e *PreconditionError) Error() string {
	return fmt.Sprintf("%s %q: %s (%s)", e.Kind, e.Key, e.Reason, e.Code)
}
func (e *PreconditionError) Is(target error) bool { return target == ErrPrecondition }

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in an input, not just the first.
type ValidationError struct {
	Fields []FieldError
}

// Invalid is the ValidationError of a single field.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// UnreachableError names an external system (a registry, an SCM) that did not answer.
type UnreachableError struct {
	System string // e.g. `registry "hub" (127.0.0.1:5000)`
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s is unreachable: %v", e.System, e.Err)
}
func (e *UnreachableError) Unwrap() error   { return e.Err }
func (e *UnreachableError) Is(t error) bool { return t == ErrUnreachable }
