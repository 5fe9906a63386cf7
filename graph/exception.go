package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/tenant"
)

// errNoExceptions answers exception queries on a server without an
// exception store.
var errNoExceptions = errors.New("this server keeps no exceptions")

// exceptionStore returns the exception store and the caller's scope.
func (r *Resolver) exceptionStore(ctx context.Context) (exception.Store, tenant.Scope, error) {
	if r.Exceptions == nil {
		return nil, tenant.Scope{}, errNoExceptions
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, tenant.Scope{}, err
	}
	return r.Exceptions, sc, nil
}

// createException appends an exception approved by the caller and created
// at the resolver's clock, with its audit entry. The rules of gate.md §5 are
// the store's (exception.Validate); a refusal names the input fields at
// fault.
func (r *Resolver) createException(ctx context.Context, in model.ExceptionInput) (*model.Exception, error) {
	_, sc, err := r.exceptionStore(ctx)
	if err != nil {
		return nil, err
	}
	if r.NewID == nil {
		return nil, errors.New("graph: the resolver has no id source")
	}
	now := r.cutoffOr(nil).Truncate(time.Microsecond)
	e := exception.Exception{ID: r.NewID(), Tenant: sc.Tenant, Effect: exception.Suppress,
		Scope: exception.Scope{Vulnerability: strings.TrimSpace(in.Vulnerability), PackageKey: trimmed(in.PackageKey),
			Component: trimmed(in.Component), ReleaseName: trimmed(in.ReleaseName), Environments: []string{}},
		DowngradeTo: advisory.Rating(trimmed(in.DowngradeTo)), Justification: strings.TrimSpace(in.Justification),
		Owner: strings.TrimSpace(in.Owner), ApprovedBy: sc.Actor, CreatedAt: now, ExpiresAt: in.ExpiresAt.UTC()}
	if in.Effect != nil {
		e.Effect = exception.Effect(strings.ToLower(string(*in.Effect)))
	}
	for _, env := range in.Environments {
		e.Scope.Environments = append(e.Scope.Environments, strings.TrimSpace(env))
	}
	var stored *exception.Exception
	var rev *exception.Revocation
	err = r.write(ctx, func(tx Tx) (*audit, error) {
		if err := tx.AppendException(ctx, sc.Tenant, e); err != nil {
			return nil, exceptionInputError(err)
		}
		var err error
		if stored, rev, err = tx.Exception(ctx, sc.Tenant, e.ID); err != nil {
			return nil, err
		}
		return &audit{action: "gate.exception.create", entityType: "gate_exception", entityID: e.ID, after: stored}, nil
	})
	if err != nil {
		return nil, err
	}
	m := exceptionModel(*stored, rev, now)
	return &m, nil
}

// exceptionInputError names the ExceptionInput fields of a refused
// exception. The input flattens the exception's scope, so gate's
// "scope.vulnerability" is the input's "vulnerability".
func exceptionInputError(err error) error {
	var verr *fault.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	fields := make([]fault.FieldError, len(verr.Fields))
	for i, f := range verr.Fields {
		f.Field = strings.TrimPrefix(f.Field, "scope.")
		fields[i] = f
	}
	return &fault.ValidationError{Fields: fields}
}

// revokeException appends a revocation by the caller at the resolver's
// clock, with its audit entry; the exception stops applying at once.
func (r *Resolver) revokeException(ctx context.Context, id string) (*model.Exception, error) {
	_, sc, err := r.exceptionStore(ctx)
	if err != nil {
		return nil, err
	}
	if id = strings.TrimSpace(id); id == "" {
		return nil, fieldError("id", "is required")
	}
	now := r.cutoffOr(nil).Truncate(time.Microsecond)
	var e *exception.Exception
	var rev *exception.Revocation
	err = r.write(ctx, func(tx Tx) (*audit, error) {
		if err := tx.AppendRevocation(ctx, sc.Tenant, exception.Revocation{ExceptionID: id, RevokedBy: sc.Actor, At: now}); err != nil {
			return nil, err
		}
		var err error
		if e, rev, err = tx.Exception(ctx, sc.Tenant, id); err != nil {
			return nil, err
		}
		return &audit{action: "gate.exception.revoke", entityType: "gate_exception", entityID: id, after: rev}, nil
	})
	if err != nil {
		return nil, err
	}
	m := exceptionModel(*e, rev, now)
	return &m, nil
}

// exceptions lists the tenant's exceptions, active as of activeAt.
func (r *Resolver) exceptions(ctx context.Context, activeAt *time.Time) ([]model.Exception, error) {
	s, sc, err := r.exceptionStore(ctx)
	if err != nil {
		return nil, err
	}
	at := r.cutoffOr(activeAt)
	exs, revs, err := s.Exceptions(ctx, sc.Tenant)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*exception.Revocation, len(revs))
	for i := range revs {
		byID[revs[i].ExceptionID] = &revs[i]
	}
	out := make([]model.Exception, 0, len(exs))
	for _, e := range exs {
		out = append(out, exceptionModel(e, byID[e.ID], at))
	}
	return out, nil
}

// exceptionModel is e with its revocation (nil: none), active as of at.
func exceptionModel(e exception.Exception, rev *exception.Revocation, at time.Time) model.Exception {
	m := model.Exception{ID: e.ID, Vulnerability: e.Scope.Vulnerability, PackageKey: optional(e.Scope.PackageKey),
		Component: optional(e.Scope.Component), ReleaseName: optional(e.Scope.ReleaseName),
		Environments: nonNil(e.Scope.Environments), Effect: model.ExceptionEffect(strings.ToUpper(string(e.Effect))),
		DowngradeTo: optional(string(e.DowngradeTo)), Justification: e.Justification, Owner: e.Owner, ApprovedBy: e.ApprovedBy,
		CreatedAt: e.CreatedAt.UTC(), ExpiresAt: e.ExpiresAt.UTC()}
	var revs []exception.Revocation
	if rev != nil {
		revs = []exception.Revocation{*rev}
		m.RevokedAt, m.RevokedBy = optionalTime(rev.At), optional(rev.RevokedBy)
	}
	m.Active = e.ActiveAt(at, revs)
	return m
}

func trimmed(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}
