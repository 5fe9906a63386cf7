package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

const exampleTemplate = "../examples/workflows/deploy-verify.yaml"

// TestCLIWorkflowTemplates runs the README's three commands against an
// in-process server: apply, apply again, apply a change, list, show.
func TestCLIWorkflowTemplates(t *testing.T) {
	s := newShopServer(t, nil)
	ci, viewer := s.token(server.DefaultTenant, "ci", auth.RoleReleaser), s.token(server.DefaultTenant, "reader", auth.RoleViewer)

	first := s.must(ci, "workflow", "template", "apply", exampleTemplate)
	if !strings.HasPrefix(first, "deploy-verify version 1 sha256:") {
		t.Fatalf("apply: %q", first)
	}
	if again := s.must(ci, "workflow", "template", "apply", exampleTemplate); again != first {
		t.Errorf("re-apply of the same file: %q, want %q", again, first)
	}

	// show -o yaml is a document apply takes back as the same version.
	doc := s.must(viewer, "workflow", "template", "show", "deploy-verify", "-o", "yaml")
	if !strings.HasPrefix(doc, "# deploy-verify version 1, sha256:") || !strings.Contains(doc, "\nname: deploy-verify\n") {
		t.Errorf("show -o yaml:\n%s", doc)
	}
	shown := filepath.Join(t.TempDir(), "shown.yaml")
	if err := os.WriteFile(shown, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if back := s.must(ci, "workflow", "template", "apply", shown); back != first {
		t.Errorf("apply of show -o yaml: %q, want %q", back, first)
	}

	raw, err := os.ReadFile(exampleTemplate)
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "changed.yaml")
	if err := os.WriteFile(changed, []byte(strings.Replace(string(raw), "timeoutSeconds: 120", "timeoutSeconds: 90", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if second := s.must(ci, "workflow", "template", "apply", changed); !strings.HasPrefix(second, "deploy-verify version 2 ") {
		t.Errorf("apply of a change: %q", second)
	}

	table := s.must(viewer, "workflow", "template", "list")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "deploy-verify  2 ") {
		t.Errorf("list:\n%s", table)
	}
	var all []struct {
		Name    string
		Version int
	}
	if err := json.Unmarshal([]byte(s.must(viewer, "workflow", "template", "list", "--all-versions", "-o", "json")), &all); err != nil || len(all) != 2 || all[0].Version != 2 || all[1].Version != 1 {
		t.Errorf("list --all-versions -o json: %+v %v", all, err)
	}

	var v1 struct {
		Version int
		Nodes   []struct {
			ID             string
			TimeoutSeconds int
			Retry          struct{ MaxAttempts int }
		}
	}
	if err := json.Unmarshal([]byte(s.must(viewer, "workflow", "template", "show", "deploy-verify", "--version", "1", "-o", "json")), &v1); err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Nodes[1].ID != "health" || v1.Nodes[1].TimeoutSeconds != 120 || v1.Nodes[1].Retry.MaxAttempts != 3 {
		t.Errorf("show --version 1: %+v", v1)
	}
	out := s.must(viewer, "workflow", "template", "show", "deploy-verify")
	if !slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
		return strings.Join(strings.Fields(l), " ") == "health health-check deploy - 90 3 fail"
	}) {
		t.Errorf("show (table) has no row for node health:\n%s", out)
	}

	// Refusals map to the exit code table.
	cycle := filepath.Join(t.TempDir(), "cycle.yaml")
	if err := os.WriteFile(cycle, []byte("name: loop\nnodes:\n  - {id: a, type: deploy, dependsOn: [b]}\n  - {id: b, type: deploy, dependsOn: [a]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, s.URL, ci, "workflow", "template", "apply", cycle); code != ExitUsage || !strings.Contains(out, "nodes[0].dependsOn") {
		t.Errorf("apply of a cycle: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, viewer, "workflow", "template", "apply", exampleTemplate); code != ExitTrust {
		t.Errorf("viewer apply: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, viewer, "workflow", "template", "show", "deploy-verify", "--version", "9"); code != ExitUsage {
		t.Errorf("show of a missing version: exit %d: %s", code, out)
	}
}
