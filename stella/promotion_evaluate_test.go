package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

// TestCLIPromotionEvaluate: advisories imported into the server's database
// by "stella advisory import" (outside the server) reach a pending
// promotion with "stella promotion evaluate --pending": the critical,
// KEV-listed finding rejects it.
func TestCLIPromotionEvaluate(t *testing.T) {
	s := newShopServer(t, nil)
	db, admin, must := s.db, s.admin, s.must
	ci := s.token(server.DefaultTenant, "ci", auth.RoleReleaser)
	var p struct{ ID, Status string }
	decode := func(out string) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	must(admin, "env", "create", "stage", "--order", "0", "--tier", "staging", "--approvals", "1", "--approver-group", "approver")
	decode(must(ci, "promote", "shop-v1", "--to", "stage", "-o", "json"))
	if p.Status != "pending_approval" {
		t.Fatalf("stage = %+v", p)
	}
	// Nothing changed: a re-check leaves it waiting.
	decode(must(ci, "promotion", "evaluate", p.ID, "-o", "json"))
	if p.Status != "pending_approval" {
		t.Fatalf("re-checked = %+v", p)
	}
	for _, args := range [][]string{
		{"advisory", "import", gateDir + "/osv", "--db", db},
		{"advisory", "import", gateDir + "/kev.json", "--source", "kev", "--db", db},
	} {
		must("", args...)
	}
	if out := must(ci, "promotion", "evaluate", "--pending"); !strings.Contains(out, "evaluated 1 pending promotion(s)") {
		t.Fatalf("evaluate --pending: %s", out)
	}
	decode(must(ci, "promotion", "show", p.ID, "-o", "json"))
	if p.Status != "rejected" {
		t.Fatalf("after the advisory import = %+v", p)
	}
	for _, args := range [][]string{{"promotion", "evaluate"}, {"promotion", "evaluate", p.ID, "--pending"}} {
		if out, code := run(t, s.URL, ci, args...); code != ExitUsage {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
	}
}
