package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/idempotency"
)

func idemRequest(key, args string) idempotency.Request {
	return idempotency.Request{Key: idempotency.Key{Tenant: "acme", Actor: "ci", Mutation: "requestPromotion", Key: key},
		Arguments: args, Selection: "sha256:sel"}
}

func TestIdempotencyKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		t0 := fixedTime()
		since := func(now time.Time) time.Time { return now.Add(-idempotency.TTL) }
		r := idemRequest("k1", "sha256:a")

		if prior, err := db.ReserveIdempotencyKey(ctx, r, "tok1", t0, since(t0)); err != nil || prior != nil {
			t.Fatalf("first reservation: %+v, %v; want it reserved", prior, err)
		}
		prior, err := db.ReserveIdempotencyKey(ctx, r, "tok2", t0.Add(time.Second), since(t0.Add(time.Second)))
		if err != nil || prior == nil || prior.State != idempotency.Pending || prior.Token != "tok1" || prior.Result != nil || !prior.CreatedAt.Equal(t0) {
			t.Fatalf("repeat while pending: %+v, %v; want tok1's pending record", prior, err)
		}
		if err := db.CompleteIdempotencyKey(ctx, r.Key, "tok2", []byte(`{}`)); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("completing another token's reservation: %v, want a conflict", err)
		}
		if err := db.CompleteIdempotencyKey(ctx, r.Key, "tok1", []byte(`{"id":"p1"}`)); err != nil {
			t.Fatal(err)
		}
		prior, err = db.ReserveIdempotencyKey(ctx, idemRequest("k1", "sha256:other"), "tok3", t0.Add(time.Hour), since(t0.Add(time.Hour)))
		if err != nil || prior == nil || prior.State != idempotency.Done || string(prior.Result) != `{"id":"p1"}` || prior.Arguments != "sha256:a" || prior.Selection != "sha256:sel" {
			t.Fatalf("repeat after completion: %+v, %v; want the first use with its result", prior, err)
		}

		// The same key string of another actor, tenant or mutation is another key.
		for _, k := range []idempotency.Key{
			{Tenant: "acme", Actor: "bob", Mutation: "requestPromotion", Key: "k1"},
			{Tenant: "globex", Actor: "ci", Mutation: "requestPromotion", Key: "k1"},
			{Tenant: "acme", Actor: "ci", Mutation: "cancelPromotion", Key: "k1"},
		} {
			if prior, err := db.ReserveIdempotencyKey(ctx, idempotency.Request{Key: k, Arguments: "sha256:a"}, "tok-"+k.Actor+k.Tenant+k.Mutation, t0, since(t0)); err != nil || prior != nil {
				t.Fatalf("%+v: %+v, %v; want it reserved", k, prior, err)
			}
		}

		// Released: the key is free again; another token's release is a no-op.
		r2 := idemRequest("k2", "sha256:a")
		if prior, err := db.ReserveIdempotencyKey(ctx, r2, "tok4", t0, since(t0)); err != nil || prior != nil {
			t.Fatalf("%+v, %v", prior, err)
		}
		if err := db.ReleaseIdempotencyKey(ctx, r2.Key, "not-tok4"); err != nil {
			t.Fatal(err)
		}
		if prior, _ := db.ReserveIdempotencyKey(ctx, r2, "tok5", t0, since(t0)); prior == nil || prior.Token != "tok4" {
			t.Fatalf("after another token's release: %+v; want tok4's reservation", prior)
		}
		if err := db.ReleaseIdempotencyKey(ctx, r2.Key, "tok4"); err != nil {
			t.Fatal(err)
		}
		if prior, err := db.ReserveIdempotencyKey(ctx, r2, "tok5", t0, since(t0)); err != nil || prior != nil {
			t.Fatalf("after release: %+v, %v; want it reserved again", prior, err)
		}

		// Expiry: at TTL the first use no longer holds the key; the next use
		// takes it over with its own arguments.
		later := t0.Add(idempotency.TTL)
		if prior, err := db.ReserveIdempotencyKey(ctx, idemRequest("k1", "sha256:new"), "tok6", later, since(later)); err != nil || prior != nil {
			t.Fatalf("after %v: %+v, %v; want the expired key taken over", idempotency.TTL, prior, err)
		}
		prior, _ = db.ReserveIdempotencyKey(ctx, idemRequest("k1", "sha256:new"), "tok7", later, since(later))
		if prior == nil || prior.Token != "tok6" || prior.Arguments != "sha256:new" || prior.State != idempotency.Pending || prior.Result != nil {
			t.Fatalf("taken-over key: %+v; want tok6's pending reservation with the new arguments", prior)
		}

		// Purge deletes what is older than the cutoff, nothing newer.
		n, err := db.PurgeIdempotencyKeys(ctx, later.Add(-time.Second))
		if err != nil || n != 4 { // k2 and the three other-scope keys, from t0; k1 is from later
			t.Fatalf("purge = %d, %v; want 4", n, err)
		}
		if prior, _ := db.ReserveIdempotencyKey(ctx, idemRequest("k1", "sha256:new"), "tok8", later, since(later)); prior == nil || prior.Token != "tok6" {
			t.Fatalf("purge removed a live key: %+v", prior)
		}
	})
}

// TestIdempotencyKeyReservedOnce: of concurrent first uses of one key,
// exactly one reserves it; every other sees the winner's record.
func TestIdempotencyKeyReservedOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		t0 := fixedTime()
		const n = 16
		r := idemRequest("race", "sha256:a")
		var wg sync.WaitGroup
		tokens := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				prior, err := db.ReserveIdempotencyKey(ctx, r, fmt.Sprint("tok", i), t0, t0.Add(-idempotency.TTL))
				errs[i] = err
				if prior != nil {
					tokens[i] = prior.Token
				}
			}()
		}
		wg.Wait()
		winners := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("reservation %d: %v", i, errs[i])
			}
			if tokens[i] == "" {
				winners[fmt.Sprint("tok", i)] = true
			}
		}
		if len(winners) != 1 {
			t.Fatalf("%d reservations won, want exactly 1", len(winners))
		}
		for i, tok := range tokens {
			if tok != "" && !winners[tok] {
				t.Fatalf("reservation %d saw %s's record, not the winner's", i, tok)
			}
		}
	})
}
