package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/tenant"
)

// fakeTx records the audit entries appended to it; its other stores are
// never reached.
type fakeTx struct {
	Tx
	entries []*release.AuditEntry
	fail    error
}

func (f *fakeTx) AppendAudit(_ context.Context, e *release.AuditEntry) error {
	if f.fail != nil {
		return f.fail
	}
	f.entries = append(f.entries, e)
	return nil
}

// unreachableCatalog is a release.Store the catalog must not write to: the
// audit entry of a change goes to the change's transaction.
type unreachableCatalog struct{ release.Store }

func TestWriteAppendsTheAuditEntryToTheChangesTransaction(t *testing.T) {
	ctx := tenant.WithScope(context.Background(), tenant.Scope{Tenant: "acme", Actor: "ann"})
	tx := &fakeTx{}
	var runs int
	r := &Resolver{Catalog: release.NewService(unreachableCatalog{}, nil),
		InTx: func(ctx context.Context, fn func(Tx) error) error { runs++; return fn(tx) }}

	if err := r.write(ctx, func(got Tx) (*audit, error) {
		if got != tx {
			t.Error("the change is not written through the transaction InTx handed out")
		}
		return &audit{action: "thing.create", entityType: "thing", entityID: "t-1", after: map[string]string{"a": "b"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || len(tx.entries) != 1 {
		t.Fatalf("%d transactions, entries %+v; want one of each", runs, tx.entries)
	}
	if e := tx.entries[0]; e.TenantID != "acme" || e.Actor != "ann" || e.Action != "thing.create" || e.EntityID != "t-1" || e.AfterDigest == "" {
		t.Errorf("entry = %+v", e)
	}

	// Nothing changed, nothing audited; a failed change is not audited.
	tx.entries = nil
	if err := r.write(ctx, func(Tx) (*audit, error) { return nil, nil }); err != nil || len(tx.entries) != 0 {
		t.Errorf("no change: %v, entries %+v", err, tx.entries)
	}
	boom := errors.New("boom")
	if err := r.write(ctx, func(Tx) (*audit, error) { return &audit{action: "x"}, boom }); !errors.Is(err, boom) || len(tx.entries) != 0 {
		t.Errorf("failed change: %v, entries %+v", err, tx.entries)
	}
	// A failing audit append fails the transaction, which rolls the change back.
	tx.fail = errors.New("audit log full")
	if err := r.write(ctx, func(Tx) (*audit, error) { return &audit{action: "x"}, nil }); !errors.Is(err, tx.fail) {
		t.Errorf("failing audit: %v", err)
	}
	// Without a scope there is no actor to audit: fail closed.
	tx.fail = nil
	if err := r.write(context.Background(), func(Tx) (*audit, error) { return &audit{action: "x"}, nil }); !errors.Is(err, tenant.ErrNoScope) {
		t.Errorf("no scope: %v", err)
	}
}

func TestWriteFailsClosedWithoutTransactions(t *testing.T) {
	ctx := tenant.WithScope(context.Background(), tenant.Scope{Tenant: "acme", Actor: "ann"})
	for name, r := range map[string]*Resolver{
		"no InTx":    {Catalog: release.NewService(unreachableCatalog{}, nil)},
		"no Catalog": {InTx: func(ctx context.Context, fn func(Tx) error) error { return fn(&fakeTx{}) }},
	} {
		called := false
		err := r.write(ctx, func(Tx) (*audit, error) { called = true; return nil, nil })
		if !errors.Is(err, errNoTx) || called {
			t.Errorf("%s: %v (change made: %v), want errNoTx and no change", name, err, called)
		}
	}
}
