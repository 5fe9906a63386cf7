package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/gate"
)

const (
	gateDir    = "testdata/gate"
	gateCutoff = "2026-03-01T12:00:00Z"
)

// gateDB imports the gate fixtures (one critical advisory, its KEV
// listing) into a fresh store.
func gateDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "stella.db")
	for _, args := range [][]string{
		{"advisory", "import", gateDir + "/osv", "--db", db},
		{"advisory", "import", gateDir + "/kev.json", "--source", "kev", "--db", db},
	} {
		if out, code := run(t, "", "", args...); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
	}
	return db
}

func gateEval(t *testing.T, db, env, record string, extra ...string) (*gate.Decision, string, int) {
	t.Helper()
	args := append([]string{"gate", "eval", "dir:" + scanFixture, "--db", db, "--config", gateDir + "/gates.yaml",
		"--env", env, "--cutoff", gateCutoff, "--name", "oldmod-v1", "-o", "json"}, extra...)
	if record != "" {
		args = append(args, "--record", record)
	}
	out, code := run(t, "", "", args...)
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("gate eval %v: exit %d, no record: %s", args, code, out)
	}
	var dec gate.Decision
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&dec); err != nil {
		t.Fatalf("gate eval: %v\n%s", err, out)
	}
	return &dec, out, code
}

func gateOf(t *testing.T, dec *gate.Decision, id string) gate.GateRecord {
	t.Helper()
	for _, g := range dec.Gates {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no gate %q in %+v", id, dec.Gates)
	return gate.GateRecord{}
}

func TestGateEvalPerEnvironmentAndVEX(t *testing.T) {
	db := gateDB(t)
	dir := t.TempDir()

	prod, out, code := gateEval(t, db, "prod", filepath.Join(dir, "prod.json"))
	if code != ExitDeny || prod.Decision != gate.Deny {
		t.Fatalf("prod: exit %d, decision %s: %s", code, prod.Decision, out)
	}
	for _, want := range []string{"kev.grace-expired", "kev.past-due", "aggregate.critical-exceeded"} {
		if !strings.Contains(strings.Join(prod.ReasonCodes, " "), want) {
			t.Errorf("prod reasons %v lack %s", prod.ReasonCodes, want)
		}
	}

	dev, out, code := gateEval(t, db, "dev", filepath.Join(dir, "dev.json"))
	if code != ExitOK || dev.Decision != gate.Allow {
		t.Fatalf("dev: exit %d, decision %s: %s", code, dev.Decision, out)
	}
	if s := gateOf(t, dev, "kev").Status; s != gate.StatusWarn {
		t.Errorf("dev kev = %s, want warn (in grace)", s)
	}

	vexd, out, code := gateEval(t, db, "prod", filepath.Join(dir, "prod-vex.json"),
		"--vex", gateDir+"/not-affected.openvex.json", "--vex-issuers", gateDir+"/issuers.yaml")
	if code != ExitOK || vexd.Decision != gate.Allow {
		t.Fatalf("prod with VEX not_affected: exit %d, decision %s: %s", code, vexd.Decision, out)
	}
	if vexd.RecordDigest == prod.RecordDigest || vexd.Inputs.IssuerRegistryDigest == prod.Inputs.IssuerRegistryDigest {
		t.Error("the VEX decision shares the first record's digests")
	}
	// Both prod records are kept.
	for _, f := range []string{"prod.json", "prod-vex.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := gate.ParseDecision(raw)
		if err != nil || rec.CheckDigests() != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestGateEvalIsDeterministic(t *testing.T) {
	db := gateDB(t)
	dir := t.TempDir()
	a, _, _ := gateEval(t, db, "prod", filepath.Join(dir, "a.json"))
	b, _, _ := gateEval(t, db, "prod", filepath.Join(dir, "b.json"))
	ra, _ := os.ReadFile(filepath.Join(dir, "a.json"))
	rb, _ := os.ReadFile(filepath.Join(dir, "b.json"))
	if !bytes.Equal(ra, rb) || a.DeterminismHash != b.DeterminismHash {
		t.Fatalf("two evaluations differ:\n%s\n%s", ra, rb)
	}
}

func TestGateEvalFailsClosedOnBrokenPolicy(t *testing.T) {
	db := gateDB(t)
	dec, out, code := gateEval(t, db, "dev", "", "--policy", gateDir+"/bad-policy")
	if code != ExitDeny || dec.Decision != gate.Deny {
		t.Fatalf("broken policy: exit %d, decision %s: %s", code, dec.Decision, out)
	}
	if g := gateOf(t, dec, "policy"); g.Status != gate.StatusFail || !strings.Contains(strings.Join(g.ReasonCodes, " "), "policy.compile-error") {
		t.Errorf("policy gate = %+v, want fail with policy.compile-error", g)
	}

	// A working policy: its deny code becomes a reason code in prod.
	dec, out, code = gateEval(t, db, "prod", "", "--policy", gateDir+"/policy")
	if code != ExitDeny || !strings.Contains(strings.Join(dec.ReasonCodes, " "), "policy.kev-in-prod") {
		t.Fatalf("policy deny: exit %d: %s", code, out)
	}
}

func TestGateReplay(t *testing.T) {
	db := gateDB(t)
	dir := t.TempDir()
	record := filepath.Join(dir, "prod.json")
	key, _ := testKeyPair(t)
	if _, out, code := gateEval(t, db, "prod", record, "--policy", gateDir+"/policy", "--sign-key", key); code != ExitDeny {
		t.Fatalf("eval: exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "prod.dsse.json")); err != nil {
		t.Errorf("signed record missing: %v", err)
	}

	out, code := run(t, "", "", "gate", "replay", record, "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"outcome": "match"`) {
		t.Fatalf("replay: exit %d: %s", code, out)
	}

	// One changed advisory byte: mismatch naming the advisory snapshot.
	inputs := gate.RecordInputsDir(record)
	src, _, err := loadSources(inputs)
	if err != nil {
		t.Fatal(err)
	}
	p, err := gate.NewDirCAS(inputs).Path(src.Advisories)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Replace(raw, []byte("remote code execution"), []byte("remote code executioN"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, "", "", "gate", "replay", record, "-o", "json")
	if code != ExitMismatch || !strings.Contains(out, `"advisorySnapshotId"`) {
		t.Fatalf("replay after an advisory edit: exit %d, want %d naming advisorySnapshotId: %s", code, ExitMismatch, out)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	// A deleted input: failed, exit 3.
	cfg, err := gate.NewDirCAS(inputs).Path(src.Gates)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "", "", "gate", "replay", record); code != ExitIntegrity {
		t.Errorf("replay without an input: exit %d, want %d: %s", code, ExitIntegrity, out)
	}
}
