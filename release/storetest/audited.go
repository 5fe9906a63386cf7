package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

// Change is one kind of write made in the same transaction as its audit
// entry: a release.Store write, or one of another store (an API token, a
// gate decision, a VEX document) that a store's transaction T also makes.
type Change[T release.AuditLog] struct {
	Name string
	// Make writes the change; it succeeds on a new, empty store.
	Make func(ctx context.Context, tx T) error
	// Refused attempts a write of the same kind that the store refuses.
	Refused func(ctx context.Context, tx T) error
	// Made reports whether the change is stored.
	Made func(ctx context.Context, tx T) (bool, error)
}

// Transact runs fn in one transaction of a store, handing it T.
type Transact[T release.AuditLog] func(ctx context.Context, fn func(tx T) error) error

// RunAudited checks that every change and its audit entry land together or
// not at all: a failing audit append rolls the change back, a refused change
// rolls back the entry appended before it, and both commit together. open
// returns a new, empty store (to read the audit log of tenant "acme") and its
// transactions; it is called once per change and case.
//
//	storetest.RunAudited(t, func(t *testing.T) (release.Store, storetest.Transact[*store.Tx]) {
//		db := open(t)
//		return db, db.Transact
//	}, changes...)
func RunAudited[T release.AuditLog](t *testing.T, open func(t *testing.T) (release.Store, Transact[T]), changes ...Change[T]) {
	for _, c := range changes {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("Committed", func(t *testing.T) { auditedCommitted(t, c, open) })
			t.Run("FailingAuditRollsBackTheChange", func(t *testing.T) { auditedFailingAudit(t, c, open) })
			t.Run("RefusedChangeRollsBackTheAudit", func(t *testing.T) { auditedRefused(t, c, open) })
		})
	}
}

func auditEntry(id string) *release.AuditEntry {
	return &release.AuditEntry{ID: id, TenantID: tenantA, Actor: "ann", Action: "test.change", EntityType: "test",
		EntityID: "x", At: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// auditIDs lists the ids in the audit log of tenantA.
func auditIDs(t *testing.T, s release.Store) []string {
	t.Helper()
	p, err := s.ListAudit(context.Background(), tenantA, release.AuditFilter{}, release.ListOptions{First: release.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(p.Items))
	for i, e := range p.Items {
		ids[i] = e.ID
	}
	return ids
}

func made[T release.AuditLog](t *testing.T, c Change[T], tx Transact[T]) bool {
	t.Helper()
	var ok bool
	if err := tx(context.Background(), func(tx T) error {
		var err error
		ok, err = c.Made(context.Background(), tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ok
}

func auditedCommitted[T release.AuditLog](t *testing.T, c Change[T], open func(t *testing.T) (release.Store, Transact[T])) {
	s, tx := open(t)
	ctx := context.Background()
	id := newID()
	if err := tx(ctx, func(tx T) error {
		if err := c.Make(ctx, tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, auditEntry(id))
	}); err != nil {
		t.Fatalf("change and audit entry: %v", err)
	}
	if !made(t, c, tx) {
		t.Error("the committed change is not stored")
	}
	if ids := auditIDs(t, s); len(ids) != 1 || ids[0] != id {
		t.Errorf("audit log = %v, want the committed entry %s", ids, id)
	}
}

func auditedFailingAudit[T release.AuditLog](t *testing.T, c Change[T], open func(t *testing.T) (release.Store, Transact[T])) {
	s, tx := open(t)
	ctx := context.Background()
	// An entry whose id is taken: appending it again fails, after the change.
	taken := newID()
	if err := s.AppendAudit(ctx, auditEntry(taken)); err != nil {
		t.Fatal(err)
	}
	err := tx(ctx, func(tx T) error {
		if err := c.Make(ctx, tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, auditEntry(taken))
	})
	if err == nil {
		t.Fatal("appending an audit entry with a taken id succeeded")
	}
	if made(t, c, tx) {
		t.Errorf("the change was kept without its audit entry (%v)", err)
	}
	if ids := auditIDs(t, s); len(ids) != 1 {
		t.Errorf("audit log = %v, want only the entry made before", ids)
	}
}

func auditedRefused[T release.AuditLog](t *testing.T, c Change[T], open func(t *testing.T) (release.Store, Transact[T])) {
	s, tx := open(t)
	ctx := context.Background()
	errRefusedOK := errors.New("the refused change was accepted")
	err := tx(ctx, func(tx T) error {
		if err := tx.AppendAudit(ctx, auditEntry(newID())); err != nil {
			return err
		}
		if err := c.Refused(ctx, tx); err != nil {
			return err
		}
		return errRefusedOK
	})
	if err == nil || errors.Is(err, errRefusedOK) {
		t.Fatalf("refused change: %v", err)
	}
	if ids := auditIDs(t, s); len(ids) != 0 {
		t.Errorf("audit log = %v: an entry was kept for a refused change (%v)", ids, err)
	}
}

// releaseChanges are the suite's own changes: release.Store writes audited
// the way release.Service writes them, in InTx.
func releaseChanges() []Change[release.Store] {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	env := func(name string) *release.Environment {
		return &release.Environment{ID: newID(), TenantID: tenantA, Name: name, Tier: release.TierStaging,
			Compliance: "unknown", CreatedAt: at, UpdatedAt: at, Version: 1}
	}
	return []Change[release.Store]{{
		Name: "CreateEnvironment",
		Make: func(ctx context.Context, tx release.Store) error { return tx.CreateEnvironment(ctx, env("dev")) },
		Refused: func(ctx context.Context, tx release.Store) error {
			if err := tx.CreateEnvironment(ctx, env("dev")); err != nil {
				return err
			}
			return tx.CreateEnvironment(ctx, env("dev")) // the name is taken
		},
		Made: func(ctx context.Context, tx release.Store) (bool, error) {
			_, err := tx.GetEnvironment(ctx, tenantA, "dev")
			if errors.Is(err, fault.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		},
	}}
}
