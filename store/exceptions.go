package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate/exception"
)

var _ exception.Store = (*DB)(nil)

type gateExceptionRow struct {
	bun.BaseModel `bun:"table:gate_exceptions,alias:x"`

	TenantID      string    `bun:"tenant_id,pk"`
	ID            string    `bun:"id,pk"`
	Vulnerability string    `bun:"vulnerability"`
	PackageKey    string    `bun:"package_key"`
	Component     string    `bun:"component"`
	ReleaseName   string    `bun:"release_name"`
	Environments  string    `bun:"environments"` // JSON array
	Effect        string    `bun:"effect"`
	DowngradeTo   string    `bun:"downgrade_to"`
	Justification string    `bun:"justification"`
	Owner         string    `bun:"owner"`
	ApprovedBy    string    `bun:"approved_by"`
	CreatedAt     time.Time `bun:"created_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

type gateRevocationRow struct {
	bun.BaseModel `bun:"table:gate_exception_revocations,alias:v"`

	TenantID    string    `bun:"tenant_id,pk"`
	ExceptionID string    `bun:"exception_id,pk"`
	RevokedBy   string    `bun:"revoked_by"`
	At          time.Time `bun:"at"`
}

// storedTime is the precision both databases keep (PostgreSQL stores
// microseconds), so an exception reads back exactly as it was appended.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func exceptionNotFound(id string) error {
	return fmt.Errorf("%w: %w", exception.ErrNotFound, &fault.NotFoundError{Kind: "exception", Key: id})
}

func exceptionConflict(id, reason string) error {
	return fmt.Errorf("%w: %w", exception.ErrConflict, &fault.ConflictError{Kind: "exception", Key: id, Reason: reason})
}

// AppendException stores a validated exception; see exception.Store.
// Times are kept to the microsecond, in UTC.
func (s *store) AppendException(ctx context.Context, tenant string, e exception.Exception) error {
	if e.Tenant != "" && e.Tenant != tenant {
		return invalidField("exception", "belongs to tenant %q", e.Tenant)
	}
	e.CreatedAt, e.ExpiresAt = storedTime(e.CreatedAt), storedTime(e.ExpiresAt)
	if err := exception.Validate(e, 0); err != nil {
		return err // wraps a *fault.ValidationError naming the fields
	}
	envs, err := json.Marshal(nonNilStrings(e.Scope.Environments))
	if err != nil {
		return err
	}
	row := gateExceptionRow{TenantID: tenant, ID: e.ID, Vulnerability: e.Scope.Vulnerability, PackageKey: e.Scope.PackageKey,
		Component: e.Scope.Component, ReleaseName: e.Scope.ReleaseName, Environments: string(envs), Effect: string(e.Effect),
		DowngradeTo: string(e.DowngradeTo), Justification: e.Justification, Owner: e.Owner, ApprovedBy: e.ApprovedBy,
		CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		if _, unique := uniqueViolation(err); unique {
			return exceptionConflict(e.ID, "id already exists")
		}
		return err
	}
	return nil
}

// AppendRevocation appends the revocation of an existing exception; see
// exception.Store.
func (s *store) AppendRevocation(ctx context.Context, tenant string, r exception.Revocation) error {
	var missing []fault.FieldError
	if r.ExceptionID == "" {
		missing = append(missing, fault.FieldError{Field: "exceptionId", Message: "is required"})
	}
	if r.RevokedBy == "" {
		missing = append(missing, fault.FieldError{Field: "revokedBy", Message: "is required"})
	}
	if r.At.IsZero() {
		missing = append(missing, fault.FieldError{Field: "at", Message: "is required"})
	}
	if len(missing) > 0 {
		return &fault.ValidationError{Fields: missing}
	}
	return s.inTxStore(ctx, func(tx *store) error {
		n, err := tx.db.NewSelect().Model((*gateExceptionRow)(nil)).
			Where("x.tenant_id = ? AND x.id = ?", tenant, r.ExceptionID).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return exceptionNotFound(r.ExceptionID)
		}
		row := gateRevocationRow{TenantID: tenant, ExceptionID: r.ExceptionID, RevokedBy: r.RevokedBy, At: storedTime(r.At)}
		if _, err := tx.db.NewInsert().Model(&row).Exec(ctx); err != nil {
			if _, unique := uniqueViolation(err); unique {
				return exceptionConflict(r.ExceptionID, "is already revoked")
			}
			if foreignKeyViolation(err) {
				return exceptionNotFound(r.ExceptionID)
			}
			return err
		}
		return nil
	})
}

// Exceptions returns the tenant's exception log; see exception.Store.
func (s *store) Exceptions(ctx context.Context, tenant string) ([]exception.Exception, []exception.Revocation, error) {
	var xrows []gateExceptionRow
	if err := s.db.NewSelect().Model(&xrows).Where("x.tenant_id = ?", tenant).OrderExpr("x.created_at, x.id").Scan(ctx); err != nil {
		return nil, nil, err
	}
	var rrows []gateRevocationRow
	if err := s.db.NewSelect().Model(&rrows).Where("v.tenant_id = ?", tenant).OrderExpr("v.at, v.exception_id").Scan(ctx); err != nil {
		return nil, nil, err
	}
	exs := make([]exception.Exception, 0, len(xrows))
	for i := range xrows {
		e, err := xrows[i].exception()
		if err != nil {
			return nil, nil, err
		}
		exs = append(exs, e)
	}
	revs := make([]exception.Revocation, 0, len(rrows))
	for _, r := range rrows {
		revs = append(revs, r.revocation())
	}
	// The order is part of the contract; sort here too, since it must not
	// depend on how a driver renders timestamps.
	slices.SortStableFunc(exs, func(a, b exception.Exception) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	slices.SortStableFunc(revs, func(a, b exception.Revocation) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ExceptionID, b.ExceptionID))
	})
	return exs, revs, nil
}

// Exception returns one exception and its revocation; see exception.Store.
func (s *store) Exception(ctx context.Context, tenant, id string) (*exception.Exception, *exception.Revocation, error) {
	var row gateExceptionRow
	err := s.db.NewSelect().Model(&row).Where("x.tenant_id = ? AND x.id = ?", tenant, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, exceptionNotFound(id)
	}
	if err != nil {
		return nil, nil, err
	}
	e, err := row.exception()
	if err != nil {
		return nil, nil, err
	}
	var rev gateRevocationRow
	err = s.db.NewSelect().Model(&rev).Where("v.tenant_id = ? AND v.exception_id = ?", tenant, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return &e, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	r := rev.revocation()
	return &e, &r, nil
}

func (r *gateExceptionRow) exception() (exception.Exception, error) {
	var envs []string
	if err := json.Unmarshal([]byte(r.Environments), &envs); err != nil {
		return exception.Exception{}, fmt.Errorf("stored exception %s: environments: %w", r.ID, err)
	}
	return exception.Exception{ID: r.ID, Tenant: r.TenantID,
		Scope: exception.Scope{Vulnerability: r.Vulnerability, PackageKey: r.PackageKey, Component: r.Component,
			ReleaseName: r.ReleaseName, Environments: nonNilStrings(envs)},
		Effect: exception.Effect(r.Effect), DowngradeTo: advisory.Rating(r.DowngradeTo), Justification: r.Justification, Owner: r.Owner,
		ApprovedBy: r.ApprovedBy, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

func (r *gateRevocationRow) revocation() exception.Revocation {
	return exception.Revocation{ExceptionID: r.ExceptionID, RevokedBy: r.RevokedBy, At: r.At.UTC()}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
