// Package storetest checks that a gate.ExceptionStore behaves as the
// interface says (RunExceptions); the decision record store has its own
// suite in gate/record/storetest.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
)

// Cutoff is the clock cut-off the suite's exceptions are created around.
var Cutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Exception returns a valid suppress exception of tenant for vuln, owned
// by alice, approved by bob, created at created and lasting 30 days.
func Exception(tenant, id, vuln string, created time.Time) gate.Exception {
	return gate.Exception{ID: id, Tenant: tenant,
		Scope:  gate.ExceptionScope{Vulnerability: vuln, PackageKey: "deb/openssl", Environments: []string{"prod"}},
		Effect: gate.EffectSuppress, Justification: "not reachable from the service", Owner: "alice", ApprovedBy: "bob",
		CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)}
}

// RunExceptions runs the suite of gate.ExceptionStore; open returns a new,
// empty store.
//
//	storetest.RunExceptions(t, func(t *testing.T) gate.ExceptionStore { return openMyStore(t) })
func RunExceptions(t *testing.T, open func(t *testing.T) gate.ExceptionStore) {
	t.Run("AppendsAndListsInOrder", func(t *testing.T) { exceptionsAppend(t, open(t)) })
	t.Run("DuplicateIDIsAConflict", func(t *testing.T) { exceptionsDuplicate(t, open(t)) })
	t.Run("RevocationIsAppendedOnce", func(t *testing.T) { exceptionsRevoke(t, open(t)) })
	t.Run("RefusesInvalidExceptions", func(t *testing.T) { exceptionsInvalid(t, open(t)) })
	t.Run("TenantsAreIsolated", func(t *testing.T) { exceptionsTenants(t, open(t)) })
}

func mustAppendException(t *testing.T, s gate.ExceptionStore, tenant string, e gate.Exception) {
	t.Helper()
	if err := s.AppendException(context.Background(), tenant, e); err != nil {
		t.Fatalf("append %s: %v", e.ID, err)
	}
}

func exceptionsAppend(t *testing.T, s gate.ExceptionStore) {
	ctx := context.Background()
	if exs, revs, err := s.Exceptions(ctx, "acme"); err != nil || len(exs) != 0 || len(revs) != 0 {
		t.Fatalf("empty store = %v, %v, %v", exs, revs, err)
	}
	// Appended out of order: listed by createdAt, then id.
	late := Exception("acme", "x-late", "CVE-2024-0001", Cutoff.Add(2*time.Hour))
	b := Exception("acme", "x-b", "CVE-2024-0002", Cutoff)
	a := Exception("acme", "x-a", "CVE-2024-0003", Cutoff)
	a.Effect, a.DowngradeTo = gate.EffectDowngrade, "low"
	a.Scope = gate.ExceptionScope{Vulnerability: "GHSA-aaaa-bbbb-cccc", Component: "api", ReleaseName: "shop-1", Environments: []string{}}
	for _, e := range []gate.Exception{late, b, a} {
		mustAppendException(t, s, "acme", e)
	}
	exs, revs, err := s.Exceptions(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if want := []gate.Exception{a, b, late}; !reflect.DeepEqual(exs, want) {
		t.Fatalf("exceptions =\n%+v\nwant\n%+v", exs, want)
	}
	if len(revs) != 0 {
		t.Fatalf("revocations = %v, want none", revs)
	}
	got, rev, err := s.Exception(ctx, "acme", "x-a")
	if err != nil || rev != nil || !reflect.DeepEqual(*got, a) {
		t.Fatalf("exception x-a = %+v, %v, %v", got, rev, err)
	}
	if _, _, err := s.Exception(ctx, "acme", "nope"); !errors.Is(err, gate.ErrExceptionNotFound) {
		t.Fatalf("unknown exception = %v, want ErrExceptionNotFound", err)
	}
}

func exceptionsDuplicate(t *testing.T, s gate.ExceptionStore) {
	ctx := context.Background()
	e := Exception("acme", "x-1", "CVE-2024-0001", Cutoff)
	mustAppendException(t, s, "acme", e)
	other := Exception("acme", "x-1", "CVE-2024-9999", Cutoff.Add(time.Hour))
	if err := s.AppendException(ctx, "acme", other); !errors.Is(err, gate.ErrExceptionConflict) {
		t.Fatalf("duplicate id = %v, want ErrExceptionConflict", err)
	}
	if err := s.AppendException(ctx, "acme", e); !errors.Is(err, gate.ErrExceptionConflict) {
		t.Fatalf("the same exception again = %v, want ErrExceptionConflict", err)
	}
	if exs, _, _ := s.Exceptions(ctx, "acme"); len(exs) != 1 || exs[0].Scope.Vulnerability != "CVE-2024-0001" {
		t.Fatalf("after duplicates: %+v", exs)
	}
}

func exceptionsRevoke(t *testing.T, s gate.ExceptionStore) {
	ctx := context.Background()
	e := Exception("acme", "x-1", "CVE-2024-0001", Cutoff)
	mustAppendException(t, s, "acme", e)
	mustAppendException(t, s, "acme", Exception("acme", "x-2", "CVE-2024-0002", Cutoff))
	r2 := gate.Revocation{ExceptionID: "x-2", RevokedBy: "carol", At: Cutoff.Add(2 * time.Hour)}
	r1 := gate.Revocation{ExceptionID: "x-1", RevokedBy: "carol", At: Cutoff.Add(time.Hour)}
	for _, r := range []gate.Revocation{r2, r1} {
		if err := s.AppendRevocation(ctx, "acme", r); err != nil {
			t.Fatal(err)
		}
	}
	again := gate.Revocation{ExceptionID: "x-1", RevokedBy: "dave", At: Cutoff.Add(3 * time.Hour)}
	if err := s.AppendRevocation(ctx, "acme", again); !errors.Is(err, gate.ErrExceptionConflict) {
		t.Fatalf("second revocation = %v, want ErrExceptionConflict", err)
	}
	unknown := gate.Revocation{ExceptionID: "nope", RevokedBy: "carol", At: Cutoff}
	if err := s.AppendRevocation(ctx, "acme", unknown); !errors.Is(err, gate.ErrExceptionNotFound) {
		t.Fatalf("revoking an unknown exception = %v, want ErrExceptionNotFound", err)
	}
	if err := s.AppendRevocation(ctx, "acme", gate.Revocation{ExceptionID: "x-1"}); err == nil {
		t.Fatal("a revocation without revokedBy and at was stored")
	}
	exs, revs, err := s.Exceptions(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// The exception itself is unchanged; the revocation is a row of its own.
	if len(exs) != 2 || !reflect.DeepEqual(exs[0], e) {
		t.Fatalf("exceptions after revocation = %+v", exs)
	}
	if want := []gate.Revocation{r1, r2}; !reflect.DeepEqual(revs, want) {
		t.Fatalf("revocations = %+v, want %+v", revs, want)
	}
	got, rev, err := s.Exception(ctx, "acme", "x-1")
	if err != nil || !reflect.DeepEqual(*got, e) || rev == nil || *rev != r1 {
		t.Fatalf("exception x-1 = %+v, %+v, %v", got, rev, err)
	}
	if !got.ActiveAt(Cutoff.Add(30*time.Minute), revs) || got.ActiveAt(Cutoff.Add(time.Hour), revs) {
		t.Fatal("the stored revocation does not end the exception at its time")
	}
}

func exceptionsInvalid(t *testing.T, s gate.ExceptionStore) {
	ctx := context.Background()
	cases := map[string]func(e *gate.Exception){
		"missing expiry":      func(e *gate.Exception) { e.ExpiresAt = time.Time{} },
		"expiry past 180d":    func(e *gate.Exception) { e.ExpiresAt = e.CreatedAt.Add(181 * 24 * time.Hour) },
		"expiry before start": func(e *gate.Exception) { e.ExpiresAt = e.CreatedAt.Add(-time.Hour) },
		"approver is owner":   func(e *gate.Exception) { e.ApprovedBy = e.Owner },
		"no justification":    func(e *gate.Exception) { e.Justification = " " },
		"no vulnerability":    func(e *gate.Exception) { e.Scope.Vulnerability = "" },
		"no owner":            func(e *gate.Exception) { e.Owner = "" },
		"unknown effect":      func(e *gate.Exception) { e.Effect = "ignore" },
		"downgrade to nothing": func(e *gate.Exception) {
			e.Effect = gate.EffectDowngrade
		},
		"another tenant": func(e *gate.Exception) { e.Tenant = "globex" },
	}
	for name, mutate := range cases {
		e := Exception("acme", "x-"+name, "CVE-2024-0001", Cutoff)
		mutate(&e)
		if err := s.AppendException(ctx, "acme", e); err == nil {
			t.Errorf("%s: stored", name)
		} else if !errors.Is(err, fault.ErrValidation) || errors.Is(err, gate.ErrExceptionConflict) {
			t.Errorf("%s: %v, want a validation error", name, err)
		}
	}
	// Exactly 180 days is allowed.
	e := Exception("acme", "x-180", "CVE-2024-0001", Cutoff)
	e.ExpiresAt = e.CreatedAt.Add(180 * 24 * time.Hour)
	mustAppendException(t, s, "acme", e)
	if exs, _, _ := s.Exceptions(ctx, "acme"); len(exs) != 1 {
		t.Fatalf("after refused appends: %+v", exs)
	}
}

func exceptionsTenants(t *testing.T, s gate.ExceptionStore) {
	ctx := context.Background()
	mustAppendException(t, s, "acme", Exception("acme", "x-1", "CVE-2024-0001", Cutoff))
	// The same id in another tenant is another exception.
	mustAppendException(t, s, "globex", Exception("globex", "x-1", "CVE-2024-0002", Cutoff))
	mustAppendException(t, s, "globex", Exception("", "x-2", "CVE-2024-0003", Cutoff))
	if err := s.AppendRevocation(ctx, "globex", gate.Revocation{ExceptionID: "x-1", RevokedBy: "carol", At: Cutoff}); err != nil {
		t.Fatal(err)
	}
	exs, revs, err := s.Exceptions(ctx, "acme")
	if err != nil || len(exs) != 1 || exs[0].Scope.Vulnerability != "CVE-2024-0001" || exs[0].Tenant != "acme" || len(revs) != 0 {
		t.Fatalf("acme sees %+v %+v %v", exs, revs, err)
	}
	if _, rev, err := s.Exception(ctx, "acme", "x-1"); err != nil || rev != nil {
		t.Fatalf("acme's x-1 = revocation %+v, %v; globex's revocation leaked", rev, err)
	}
	if _, _, err := s.Exception(ctx, "acme", "x-2"); !errors.Is(err, gate.ErrExceptionNotFound) {
		t.Fatalf("globex's x-2 from acme = %v, want ErrExceptionNotFound", err)
	}
	if err := s.AppendRevocation(ctx, "acme", gate.Revocation{ExceptionID: "x-2", RevokedBy: "carol", At: Cutoff}); !errors.Is(err, gate.ErrExceptionNotFound) {
		t.Fatalf("acme revoking globex's x-2 = %v, want ErrExceptionNotFound", err)
	}
	exs, revs, err = s.Exceptions(ctx, "globex")
	if err != nil || len(exs) != 2 || exs[1].Tenant != "globex" || len(revs) != 1 {
		t.Fatalf("globex sees %+v %+v %v", exs, revs, err)
	}
}
