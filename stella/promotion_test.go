package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/server"
)

// TestCLIPromotions promotes the stored release shop-v1 (both SBOMs, no
// advisories) through dev and stage on an in-process server.
func TestCLIPromotions(t *testing.T) {
	s := newShopServer(t, nil)
	admin, must := s.admin, s.must
	ci, alice, viewer := s.token(server.DefaultTenant, "ci", auth.RoleReleaser), s.token(server.DefaultTenant, "alice", auth.RoleApprover),
		s.token(server.DefaultTenant, "reader", auth.RoleViewer)
	type promotion struct {
		ID, Status, Reason, RequestedBy string
		Environment                     struct{ Name string }
		Approvals                       []struct{ ApproverID, Action, Comment string }
		Evidence                        []struct{ ID, ContentHash string }
		Decisions                       []string
		FinalDecision                   string
	}
	decode := func(out string) promotion {
		t.Helper()
		var p promotion
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return p
	}
	must(admin, "env", "create", "dev", "--order", "0", "--tier", "development")
	must(admin, "env", "create", "stage", "--order", "1", "--tier", "staging", "--approvals", "1", "--approver-group", "approver")

	dev := decode(must(ci, "promote", "shop-v1", "--to", "dev", "--reason", "first cut", "-o", "json"))
	if dev.Status != "deployed" || dev.Reason != "first cut" || dev.RequestedBy != "ci" || len(dev.Evidence) == 0 {
		t.Fatalf("dev = %+v", dev)
	}
	// Each decision the promotion lists is fetched by digest, as stored.
	if len(dev.Decisions) < 2 || dev.FinalDecision != dev.Decisions[len(dev.Decisions)-1] {
		t.Fatalf("dev decisions = %v, final %q", dev.Decisions, dev.FinalDecision)
	}
	if out := must(viewer, "gate", "record", dev.FinalDecision); !strings.Contains(out, "decision: allow (pre-deploy") || !strings.Contains(out, "promotion: "+dev.ID) {
		t.Fatalf("gate record:\n%s", out)
	}
	recFile := filepath.Join(t.TempDir(), "final.json")
	must(viewer, "gate", "record", dev.FinalDecision, "-f", recFile)
	if raw, err := os.ReadFile(recFile); err != nil || strings.TrimSpace(must(viewer, "gate", "record", dev.FinalDecision, "-o", "json")) != string(raw) {
		t.Fatalf("record file %s: %v", raw, err)
	} else if rec, err := gate.ParseDecision(raw); err != nil || rec.RecordDigest != dev.FinalDecision || rec.PromotionID != dev.ID {
		t.Fatalf("record file: %+v, %v", rec, err)
	}
	if out, code := run(t, s.URL, viewer, "gate", "record", dev.FinalDecision, "-f", recFile); code != ExitUsage {
		t.Fatalf("record over an existing file: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, viewer, "gate", "record", "sha256:"+strings.Repeat("0", 64)); code != ExitUsage {
		t.Fatalf("unknown record: exit %d: %s", code, out)
	}

	stage := decode(must(ci, "promote", "shop-v1", "--to", "stage", "-o", "json"))
	if stage.Status != "pending_approval" {
		t.Fatalf("stage = %+v", stage)
	}
	if out, code := run(t, s.URL, viewer, "approve", stage.ID); code != ExitTrust {
		t.Fatalf("viewer approves: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, alice, "reject", stage.ID); code != ExitUsage {
		t.Fatalf("reject without --comment: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, alice, "approve", "no-such-promotion"); code != ExitUsage {
		t.Fatalf("approve unknown: exit %d: %s", code, out)
	}
	stage = decode(must(alice, "approve", stage.ID, "--comment", "lgtm", "-o", "json"))
	if stage.Status != "deployed" || len(stage.Approvals) != 1 || stage.Approvals[0].ApproverID != "alice" || stage.Approvals[0].Comment != "lgtm" {
		t.Fatalf("approved stage = %+v", stage)
	}

	// prod waits for two approvals; cancelled, it cannot be cancelled again.
	must(admin, "env", "create", "prod", "--order", "2", "--tier", "production", "--approvals", "2", "--approver-group", "approver")
	again := decode(must(ci, "promote", "shop-v1", "--to", "prod", "-o", "json"))
	if again.Status != "pending_approval" {
		t.Fatalf("prod = %+v", again)
	}
	if c := decode(must(ci, "promotion", "cancel", again.ID, "-o", "json")); c.Status != "cancelled" {
		t.Fatalf("cancel = %+v", c)
	}
	if out, code := run(t, s.URL, ci, "promotion", "cancel", again.ID); code != ExitUsage {
		t.Fatalf("cancel twice: exit %d: %s", code, out)
	}

	var list []promotion
	if err := json.Unmarshal([]byte(must(viewer, "promotion", "list", "-o", "json")), &list); err != nil || len(list) != 3 {
		t.Fatalf("promotion list = %+v, %v", list, err)
	}
	if err := json.Unmarshal([]byte(must(viewer, "promotion", "list", "--env", "stage", "--status", "deployed", "-o", "json")), &list); err != nil ||
		len(list) != 1 || list[0].ID != stage.ID {
		t.Fatalf("stage deployed = %+v, %v", list, err)
	}
	if out := must(viewer, "promotion", "list"); !strings.Contains(out, "ENVIRONMENT") || !strings.Contains(out, "cancelled") {
		t.Fatalf("promotion list table:\n%s", out)
	}
	if out := must(viewer, "promotion", "show", stage.ID); !strings.Contains(out, "Status:") || !strings.Contains(out, "deployed") || !strings.Contains(out, "alice") {
		t.Fatalf("promotion show:\n%s", out)
	}
}
