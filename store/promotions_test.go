package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/promotiontest"
)

// promotionRows stores a finalized release with two approved promotions of
// its application into one environment, the first with an approval.
func promotionRows(t *testing.T, db *DB) (first, second *release.Promotion) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mk := func(n string) *release.Promotion {
		r := &release.Release{ID: "rel-" + n, TenantID: "acme", Application: "shop", Name: "shop-v" + n,
			Status: release.StatusFinalized, Digest: "sha256:" + n, CreatedBy: "ann", CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := db.CreateRelease(ctx, r); err != nil {
			t.Fatal(err)
		}
		p := &release.Promotion{ID: "p-" + n, TenantID: "acme", ReleaseID: r.ID, ReleaseDigest: r.Digest, Application: "shop",
			TargetEnvironmentID: "env-prod", Status: release.PromotionApproved, RequestedBy: "ann", RequestedAt: at,
			DecisionIDs: []string{}, EvidencePacketIDs: []string{}, CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := db.CreatePromotion(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, second = mk("1"), mk("2")
	if err := db.AppendApproval(ctx, &release.Approval{ID: "a-1", TenantID: "acme", PromotionID: first.ID,
		ReleaseDigest: first.ReleaseDigest, ApproverID: "bob", Action: release.ActionApprove, At: at}); err != nil {
		t.Fatal(err)
	}
	return first, second
}

// Approvals are evidence: the database refuses to change them, whatever the
// store API offers.
func TestApprovalsAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		promotionRows(t, db)
		for _, q := range []string{"UPDATE approvals SET action = 'reject'", "DELETE FROM approvals"} {
			if _, err := db.Bun().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: not refused", q)
			}
		}
		if db.Dialect() == DialectPostgres {
			if _, err := db.Bun().ExecContext(ctx, "TRUNCATE approvals"); err == nil {
				t.Error("TRUNCATE approvals: not refused")
			}
		}
		as, err := db.Approvals(ctx, "acme", "p-1")
		if err != nil || len(as) != 1 || as[0].Action != release.ActionApprove {
			t.Fatalf("after refused changes: %+v %v", as, err)
		}
	})
}

// The deploy lock holds in the database itself: SQL that bypasses the store
// cannot make a second promotion of a lane deploying.
func TestDeployLockIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		promotionRows(t, db)
		set := "UPDATE promotions SET status = 'deploying' WHERE id = ?"
		if _, err := db.Bun().ExecContext(ctx, set, "p-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Bun().ExecContext(ctx, set, "p-2"); err == nil {
			t.Error("a second deploying promotion of one (environment, application) was stored")
		}
		// Another application's lane is free.
		if _, err := db.Bun().ExecContext(ctx, "UPDATE promotions SET status = 'deploying', application = 'billing' WHERE id = ?", "p-2"); err != nil {
			t.Errorf("another application: %v", err)
		}
	})
}

// The promotion service end to end: real decisions, the in-process
// deployer, this store's transactions.
func TestPromotionService(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		promotiontest.Run(t, func(t *testing.T) (release.PromotionTx, release.PromotionTxFunc) {
			db := open(t)
			return db, release.PromotionTransactions(db.Transact)
		})
	})
}

// Evidence packets are append-only too, and read back as stored.
func TestEvidencePacketsAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		pk := &evidence.Packet{ID: "pk-1", TenantID: "acme", PromotionID: "p-1", Type: evidence.ReleaseDecision,
			ContentHash: "sha256:" + strings.Repeat("a", 64), KeyID: "k1", Algorithm: "ed25519", GeneratorVersion: "test", CreatedAt: at,
			Envelope: &attest.Envelope{PayloadType: "application/vnd.in-toto+json", Payload: "e30=",
				Signatures: []dsse.Signature{{KeyID: "k1", Sig: "c2ln"}}}}
		if err := db.AppendPacket(ctx, pk); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendPacket(ctx, pk); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("the same id twice: %v", err)
		}
		for _, q := range []string{"UPDATE evidence_packets SET type = 'deployment'", "DELETE FROM evidence_packets"} {
			if _, err := db.Bun().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: not refused", q)
			}
		}
		got, err := db.Packets(ctx, "acme", "p-1")
		if err != nil || len(got) != 1 || !reflect.DeepEqual(&got[0], pk) {
			t.Fatalf("packets %+v %v", got, err)
		}
		if other, err := db.Packets(ctx, "globex", "p-1"); err != nil || len(other) != 0 {
			t.Fatalf("another tenant's packets: %+v %v", other, err)
		}
	})
}
