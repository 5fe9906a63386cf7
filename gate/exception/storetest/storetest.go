// Package storetest checks that an exception.Store behaves as the
// interface says. Every implementation runs it:
//
//	storetest.Run(t, func(t *testing.T) exception.Store { return openMyStore(t) })
package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate/exception"
)

// Cutoff is the clock cut-off the suite's exceptions are created around.
var Cutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Exception returns a valid suppress exception of tenant for vuln, owned
// by alice, approved by bob, created at created and lasting 30 days.
func Exception(tenant, id, vuln string, created time.Time) exception.Exception {
	return exception.Exception{ID: id, Tenant: tenant,
		Scope:  exception.Scope{Vulnerability: vuln, PackageKey: "deb/openssl", Environments: []string{"prod"}},
		Effect: exception.Suppress, Justification: "not reachable from the service", Owner: "alice", ApprovedBy: "bob",
		CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)}
}

// Run runs the suite; open returns a new, empty store.
func Run(t *testing.T, open func(t *testing.T) exception.Store) {
	t.Run("AppendsAndListsInOrder", func(t *testing.T) { exceptionsAppend(t, open(t)) })
	t.Run("DuplicateIDIsAConflict", func(t *testing.T) { exceptionsDuplicate(t, open(t)) })
	t.Run("RevocationIsAppendedOnce", func(t *testing.T) { exceptionsRevoke(t, open(t)) })
	t.Run("RefusesInvalidExceptions", func(t *testing.T) { exceptionsInvalid(t, open(t)) })
	t.Run("TenantsAreIsolated", func(t *testing.T) { exceptionsTenants(t, open(t)) })
}

func mustAppendException(t *testing.T, s exception.Store, tenant string, e exception.Exception) {
	t.Helper()
	if err := s.AppendException(context.Background(), tenant, e); err != nil {
		t.Fatalf("append %s: %v", e.ID, err)
	}
}

func exceptionsAppend(t *testing.T, s exception.Store) {
	ctx := context.Background()
	if exs, revs, err := s.Exceptions(ctx, "acme"); err != nil || len(exs) != 0 || len(revs) != 0 {
		t.Fatalf("empty store = %v, %v, %v", exs, revs, err)
	}
	// Appended out of order: listed by createdAt, then id.
	late := Exception("acme", "x-late", "CVE-2024-0001", Cutoff.Add(2*time.Hour))
	b := Exception("acme", "x-b", "CVE-2024-0002", Cutoff)
	a := Exception("acme", "x-a", "CVE-2024-0003", Cutoff)
	a.Effect, a.DowngradeTo = exception.Downgrade, "low"
	a.Scope = exception.Scope{Vulnerability: "GHSA-aaaa-bbbb-cccc", Component: "api", ReleaseName: "shop-1", Environments: []string{}}
	for _, e := range []exception.Exception{late, b, a} {
		mustAppendException(t, s, "acme", e)
	}
	exs, revs, err := s.Exceptions(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if want := []exception.Exception{a, b, late}; !reflect.DeepEqual(exs, want) {
		t.Fatalf("exceptions =\n%+v\nwant\n%+v", exs, want)
	}
	if len(revs) != 0 {
		t.Fatalf("revocations = %v, want none", revs)
	}
	got, rev, err := s.Exception(ctx, "acme", "x-a")
	if err != nil || rev != nil || !reflect.DeepEqual(*got, a) {
		t.Fatalf("exception x-a = %+v, %v, %v", got, rev, err)
	}
	if _, _, err := s.Exception(ctx, "acme", "nope"); !errors.Is(err, exception.ErrNotFound) {
		t.Fatalf("unknown exception = %v, want ErrNotFound", err)
	}
}

func exceptionsDuplicate(t *testing.T, s exception.Store) {
	ctx := context.Background()
	e := Exception("acme", "x-1", "CVE-2024-0001", Cutoff)
	mustAppendException(t, s, "acme", e)
	other := Exception("acme", "x-1", "CVE-2024-9999", Cutoff.Add(time.Hour))
	if err := s.AppendException(ctx, "acme", other); !errors.Is(err, exception.ErrConflict) {
		t.Fatalf("duplicate id = %v, want ErrConflict", err)
	}
	if err := s.AppendException(ctx, "acme", e); !errors.Is(err, exception.ErrConflict) {
		t.Fatalf("the same exception again = %v, want ErrConflict", err)
	}
	if exs, _, _ := s.Exceptions(ctx, "acme"); len(exs) != 1 || exs[0].Scope.Vulnerability != "CVE-2024-0001" {
		t.Fatalf("after duplicates: %+v", exs)
	}
}

func exceptionsRevoke(t *testing.T, s exception.Store) {
	ctx := context.Background()
	e := Exception("acme", "x-1", "CVE-2024-0001", Cutoff)
	mustAppendException(t, s, "acme", e)
	mustAppendException(t, s, "acme", Exception("acme", "x-2", "CVE-2024-0002", Cutoff))
	r2 := exception.Revocation{ExceptionID: "x-2", RevokedBy: "carol", At: Cutoff.Add(2 * time.Hour)}
	r1 := exception.Revocation{ExceptionID: "x-1", RevokedBy: "carol", At: Cutoff.Add(time.Hour)}
	for _, r := range []exception.Revocation{r2, r1} {
		if err := s.AppendRevocation(ctx, "acme", r); err != nil {
			t.Fatal(err)
		}
	}
	again := exception.Revocation{ExceptionID: "x-1", RevokedBy: "dave", At: Cutoff.Add(3 * time.Hour)}
	if err := s.AppendRevocation(ctx, "acme", again); !errors.Is(err, exception.ErrConflict) {
		t.Fatalf("second revocation = %v, want ErrConflict", err)
	}
	unknown := exception.Revocation{ExceptionID: "nope", RevokedBy: "carol", At: Cutoff}
	if err := s.AppendRevocation(ctx, "acme", unknown); !errors.Is(err, exception.ErrNotFound) {
		t.Fatalf("revoking an unknown exception = %v, want ErrNotFound", err)
	}
	if err := s.AppendRevocation(ctx, "acme", exception.Revocation{ExceptionID: "x-1"}); err == nil {
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
	if want := []exception.Revocation{r1, r2}; !reflect.DeepEqual(revs, want) {
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

func exceptionsInvalid(t *testing.T, s exception.Store) {
	ctx := context.Background()
	cases := map[string]func(e *exception.Exception){
		"missing expiry":      func(e *exception.Exception) { e.ExpiresAt = time.Time{} },
		"expiry past 180d":    func(e *exception.Exception) { e.ExpiresAt = e.CreatedAt.Add(181 * 24 * time.Hour) },
		"expiry before start": func(e *exception.Exception) { e.ExpiresAt = e.CreatedAt.Add(-time.Hour) },
		"approver is owner":   func(e *exception.Exception) { e.ApprovedBy = e.Owner },
		"no justification":    func(e *exception.Exception) { e.Justification = " " },
		"no vulnerability":    func(e *exception.Exception) { e.Scope.Vulnerability = "" },
		"no owner":            func(e *exception.Exception) { e.Owner = "" },
		"unknown effect":      func(e *exception.Exception) { e.Effect = "ignore" },
		"downgrade to nothing": func(e *exception.Exception) {
			e.Effect = exception.Downgrade
		},
		"another tenant": func(e *exception.Exception) { e.Tenant = "globex" },
	}
	for name, mutate := range cases {
		e := Exception("acme", "x-"+name, "CVE-2024-0001", Cutoff)
		mutate(&e)
		if err := s.AppendException(ctx, "acme", e); err == nil {
			t.Errorf("%s: stored", name)
		} else if !errors.Is(err, fault.ErrValidation) || errors.Is(err, exception.ErrConflict) {
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

func exceptionsTenants(t *testing.T, s exception.Store) {
	ctx := context.Background()
	mustAppendException(t, s, "acme", Exception("acme", "x-1", "CVE-2024-0001", Cutoff))
	// The same id in another tenant is another exception.
	mustAppendException(t, s, "globex", Exception("globex", "x-1", "CVE-2024-0002", Cutoff))
	mustAppendException(t, s, "globex", Exception("", "x-2", "CVE-2024-0003", Cutoff))
	if err := s.AppendRevocation(ctx, "globex", exception.Revocation{ExceptionID: "x-1", RevokedBy: "carol", At: Cutoff}); err != nil {
		t.Fatal(err)
	}
	exs, revs, err := s.Exceptions(ctx, "acme")
	if err != nil || len(exs) != 1 || exs[0].Scope.Vulnerability != "CVE-2024-0001" || exs[0].Tenant != "acme" || len(revs) != 0 {
		t.Fatalf("acme sees %+v %+v %v", exs, revs, err)
	}
	if _, rev, err := s.Exception(ctx, "acme", "x-1"); err != nil || rev != nil {
		t.Fatalf("acme's x-1 = revocation %+v, %v; globex's revocation leaked", rev, err)
	}
	if _, _, err := s.Exception(ctx, "acme", "x-2"); !errors.Is(err, exception.ErrNotFound) {
		t.Fatalf("globex's x-2 from acme = %v, want ErrNotFound", err)
	}
	if err := s.AppendRevocation(ctx, "acme", exception.Revocation{ExceptionID: "x-2", RevokedBy: "carol", At: Cutoff}); !errors.Is(err, exception.ErrNotFound) {
		t.Fatalf("acme revoking globex's x-2 = %v, want ErrNotFound", err)
	}
	exs, revs, err = s.Exceptions(ctx, "globex")
	if err != nil || len(exs) != 2 || exs[1].Tenant != "globex" || len(revs) != 1 {
		t.Fatalf("globex sees %+v %+v %v", exs, revs, err)
	}
}
