package server_test

import (
	"slices"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/server"
)

// A bundle loaded with --policy is evaluated without naming it in --gates:
// the server adds a "policy" gate for it, as stella gate eval does.
func TestServePolicyBundleGetsItsGate(t *testing.T) {
	e := newEnv(t, "", func(c *server.Config) { c.PolicyDirs = []string{"../stella/testdata/gate/policy"} })
	e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 2, tier: production}) { id } }`, nil)
	e.importOSV(debianOSV, advisory.Enrichment{KEV: map[string]advisory.KEV{
		"CVE-2024-0727": {DateAdded: "2024-02-01", DueDate: "2024-02-22"}}})
	d := path(e.ok(e.admin, `{ evaluateRelease(release: "myapp-v1", environment: "prod") { decision reasonCodes gates { id type status } } }`, nil), "evaluateRelease")
	var policy map[string]any
	for _, g := range d.(map[string]any)["gates"].([]any) {
		if g.(map[string]any)["type"] == "policy" {
			policy = g.(map[string]any)
		}
	}
	if policy == nil || policy["id"] != "policy" || policy["status"] != "FAIL" ||
		!slices.Contains(strs(path(d, "reasonCodes")), "policy.kev-in-prod") {
		t.Fatalf("decision with a --policy bundle = %v", d)
	}
}
