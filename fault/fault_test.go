package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stella-ops/stella/fault"
)

// Each typed error matches its sentinel through any wrapping, so callers
// test the kind with errors.Is and reach the details with errors.As.
func TestTypedErrorsMatchTheirKind(t *testing.T) {
	cause := errors.New("connection refused")
	for _, c := range []struct {
		err  error
		kind error
		msg  string
	}{
		{&fault.NotFoundError{Kind: "environment", Key: "prod"}, fault.ErrNotFound, `environment "prod" not found`},
		{&fault.ConflictError{Kind: "release", Key: "v1", Reason: "is finalized"}, fault.ErrConflict, `release "v1": is finalized`},
		{fault.Invalid("name", "must be at most %d characters", 63), fault.ErrValidation, "invalid input: name: must be at most 63 characters"},
		{&fault.UnreachableError{System: "registry hub", Err: cause}, fault.ErrUnreachable, "registry hub is unreachable: connection refused"},
		{&fault.PreconditionError{Kind: "release", Key: "v1", Code: "RELEASE_NOT_FINALIZED", Reason: "is draft"}, fault.ErrPrecondition, `release "v1": is draft (RELEASE_NOT_FINALIZED)`},
	} {
		wrapped := fmt.Errorf("context: %w", c.err)
		if !errors.Is(wrapped, c.kind) || c.err.Error() != c.msg {
			t.Errorf("%T: Is(%v) = %v, Error() = %q; want true, %q", c.err, c.kind, errors.Is(wrapped, c.kind), c.err.Error(), c.msg)
		}
		for _, other := range []error{fault.ErrNotFound, fault.ErrConflict, fault.ErrValidation, fault.ErrUnreachable, fault.ErrPrecondition} {
			if other != c.kind && errors.Is(wrapped, other) {
				t.Errorf("%T also matches %v", c.err, other)
			}
		}
	}
	if !errors.Is(&fault.UnreachableError{System: "scm", Err: cause}, cause) {
		t.Error("UnreachableError does not unwrap to its cause")
	}
}

func TestValidationErrorListsEveryField(t *testing.T) {
	err := fmt.Errorf("gate: exception x: %w", &fault.ValidationError{Fields: []fault.FieldError{
		{Field: "owner", Message: "is required"}, {Field: "expiresAt", Message: "is required"}}})
	var verr *fault.ValidationError
	if !errors.As(err, &verr) || len(verr.Fields) != 2 || verr.Fields[1].Field != "expiresAt" {
		t.Fatalf("As = %+v", verr)
	}
	if got, want := verr.Error(), "invalid input: owner: is required; expiresAt: is required"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
