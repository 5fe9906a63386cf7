package step

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// approvalBook is a small real Approvals: approvals recorded per run node.
type approvalBook map[string][]Approval

func (b approvalBook) Approvals(_ context.Context, tenant, runID, nodeID string) ([]Approval, error) {
	return b[tenant+"/"+runID+"/"+nodeID], nil
}

func (b approvalBook) add(by, group string, at time.Time) {
	b["acme/run1/n"] = append(b["acme/run1/n"], Approval{By: by, Group: group, At: at})
}

func TestApprovalWaitsForDistinctApproversOfTheGroups(t *testing.T) {
	book := approvalBook{}
	s, _ := Builtins(Deps{Approvals: book}).Lookup(TypeApproval)
	in := Input{RunID: "run1", NodeID: "n", Inputs: map[string]any{"tenant": "acme"},
		Config: json.RawMessage(`{"groups": ["release-managers", "sre"], "count": 2}`)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := func() ([]string, bool) {
		t.Helper()
		out, err := s.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Values["approvers"].([]string), out.Waiting
	}
	if got, waiting := run(); !waiting || len(got) != 0 {
		t.Fatalf("no approvals: %v waiting %v", got, waiting)
	}
	book.add("zoe", "sre", t0)
	book.add("zoe", "release-managers", t0.Add(time.Minute)) // same person twice
	book.add("mallory", "dev", t0)                           // not an approving group
	if got, waiting := run(); !waiting || !slices.Equal(got, []string{"zoe"}) {
		t.Fatalf("one approver: %v waiting %v", got, waiting)
	}
	book.add("adam", "release-managers", t0)
	if got, waiting := run(); waiting || !slices.Equal(got, []string{"adam", "zoe"}) {
		t.Fatalf("two approvers: %v waiting %v", got, waiting)
	}
}

func TestApprovalConfig(t *testing.T) {
	s, _ := Builtins(Deps{Approvals: approvalBook{}}).Lookup(TypeApproval)
	for config, want := range map[string]string{`{"count": -1}`: "config.count", `{"groups": [" "]}`: "config.groups[0]"} {
		if _, err := s.Run(context.Background(), Input{Config: json.RawMessage(config)}); err == nil || !contains(err.Error(), want) {
			t.Errorf("%s: %v", config, err)
		}
	}
}

func TestManualWaitsForTheEarliestConfirmation(t *testing.T) {
	book := approvalBook{}
	s, _ := Builtins(Deps{Approvals: book}).Lookup(TypeManual)
	in := Input{RunID: "run1", NodeID: "n", Inputs: map[string]any{"tenant": "acme"},
		Config: json.RawMessage(`{"prompt": "Migrate the database, then confirm", "groups": ["ops"]}`)}
	out, err := s.Run(context.Background(), in)
	if err != nil || !out.Waiting || out.Values["prompt"] != "Migrate the database, then confirm" {
		t.Fatalf("%+v, %v", out, err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	book.add("dev1", "dev", t0)
	book.add("olga", "ops", t0.Add(2*time.Minute))
	book.add("omar", "ops", t0.Add(time.Minute))
	out, err = s.Run(context.Background(), in)
	if err != nil || out.Waiting || out.Values["confirmedBy"] != "omar" {
		t.Fatalf("%+v, %v", out, err)
	}
	in.Config = json.RawMessage(`{"groups": ["ops"]}`)
	if _, err := s.Run(context.Background(), in); err == nil || !contains(err.Error(), "config.prompt") {
		t.Fatalf("no prompt: %v", err)
	}
}
