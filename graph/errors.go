package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/tenant"
)

// Error codes carried in extensions.code.
const (
	CodeValidation      = "VALIDATION"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodePrecondition    = "PRECONDITION"
	CodeInternal        = "INTERNAL"
)

var (
	errUnauthenticated = errors.New("authentication required: send Authorization: Bearer <token>")
	errForbidden       = errors.New("forbidden")
)

func fieldError(field, format string, args ...any) error {
	return fault.Invalid(field, format, args...)
}

// ErrorPresenter gives every error a stable code. Unknown errors become INTERNAL
// with a generic message, so that no internal detail leaks; they are logged.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error { return presentError(ctx, log, err) }
}

func presentError(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	if gerr.Extensions == nil {
		gerr.Extensions = map[string]any{}
	}
	var verr *fault.ValidationError
	var uerr *fault.UnreachableError
	var perr *fault.PreconditionError
	var rerr *release.RegistryError
	switch {
	case errors.As(err, &verr):
		gerr.Extensions["code"] = CodeValidation
		gerr.Extensions["fields"] = verr.Fields
	case errors.Is(err, fault.ErrNotFound):
		gerr.Extensions["code"] = CodeNotFound
	case errors.Is(err, fault.ErrConflict):
		gerr.Extensions["code"] = CodeConflict
	case errors.As(err, &perr):
		gerr.Extensions["code"] = CodePrecondition
		gerr.Extensions["reason"] = perr.Code
	case errors.As(err, &uerr):
		gerr.Extensions["code"] = CodePrecondition
		gerr.Extensions["reason"] = "REGISTRY_UNREACHABLE"
	case errors.As(err, &rerr):
		gerr.Extensions["code"] = CodePrecondition
		gerr.Extensions["reason"] = "REGISTRY_ERROR"
	case errors.Is(err, errUnauthenticated), errors.Is(err, auth.ErrInvalidToken), errors.Is(err, tenant.ErrNoScope):
		gerr.Extensions["code"] = CodeUnauthenticated
	case errors.Is(err, errForbidden):
		gerr.Extensions["code"] = CodeForbidden
	case isRequestError(gerr, err):
		// Parse and validation failures of the body, query or variables are the
		// caller's mistake: malformed input is VALIDATION, never a 500.
		gerr.Extensions["code"] = CodeValidation
		if strings.HasPrefix(gerr.Message, "json request body could not be decoded") {
			gerr.Message = "the request body is not valid GraphQL-over-HTTP JSON" // gqlgen's message echoes the body
		}
	default:
		log.ErrorContext(ctx, "internal error", "path", gerr.Path.String(), "error", err)
		gerr.Message = "internal error"
		gerr.Extensions["code"] = CodeInternal
	}
	return gerr
}

// isRequestError recognizes gqlgen's own refusals of a request: coded parse and
// validation failures, and transport errors (no cause, no path, no code).
func isRequestError(e *gqlerror.Error, err error) bool {
	switch e.Extensions["code"] {
	case errcode.ValidationFailed, errcode.ParseFailed, "BAD_USER_INPUT":
		return true
	case nil:
		var raw *gqlerror.Error
		return errors.As(err, &raw) && raw.Err == nil && len(raw.Path) == 0
	}
	return false
}

// recoverPanic turns a resolver panic into an INTERNAL error and logs it.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p))
		return errors.New("internal error")
	}
}
