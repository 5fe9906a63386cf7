package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/server"
)

// The crash test runs the server in a child process: this test binary,
// re-executed with crashChildEnv set, runs TestCrashChildProcess, which
// serves until it is killed.
const (
	crashChildEnv       = "STELLA_CRASH_CHILD"       // "hang" or "record": the deployer the child runs
	crashDBEnv          = "STELLA_CRASH_DB"          // the database
	crashKeyEnv         = "STELLA_CRASH_KEY"         // the key file
	crashDeploymentsEnv = "STELLA_CRASH_DEPLOYMENTS" // the file the deployers record jobs in
)

func TestKill9ResumesPromotions_SQLite(t *testing.T) { kill9ResumesPromotions(t, "") }

func TestKill9ResumesPromotions_PostgreSQL(t *testing.T) {
	kill9ResumesPromotions(t, testenv.PostgresDSN(t))
}

// kill9ResumesPromotions: a server whose deployer hangs (as an agent can)
// is killed with SIGKILL while one promotion waits for an approval and
// another is deploying. The server started again on the same database,
// with a deployer that finishes, continues both from what was stored: the
// deploying one's workflow run is taken over (its deploy step run again
// under the same idempotency key) and finishes, deployed once; the pending one is approved and deploys.
func kill9ResumesPromotions(t *testing.T, dsn string) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "stella.key")
	e := newEnv(t, dsn, func(c *server.Config) { c.KeyFile = keyFile })
	e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createRelease(input: {name: "myapp-v2"}) { id } }`, nil)
	e.ok(e.admin, `mutation { addReleaseComponent(release: "myapp-v2", input: {component: "api", tag: "v1.0.0"}) { id } }`, nil)
	e.ok(e.admin, `mutation { finalizeRelease(key: "myapp-v2") { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "stage", orderIndex: 1, tier: staging, requiredApprovals: 1,
		approverGroups: ["approver"], requirePreviousEnvironment: false}) { id } }`, nil)
	_, ci, err := e.srv.CreateToken(context.Background(), server.DefaultTenant, "ci", auth.RoleReleaser, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, alice, err := e.srv.CreateToken(context.Background(), server.DefaultTenant, "alice", auth.RoleApprover, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close() // the children own the database from here
	deployments := filepath.Join(dir, "deployments.jsonl")
	request := `mutation($r: String!, $e: String!) { requestPromotion(release: $r, environment: $e) { id status } }`

	// First life: the deployer takes the job, then hangs.
	first := startCrashChild(t, e.dbPath, keyFile, deployments, "hang")
	pending := path(first.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "stage"}), "requestPromotion")
	if path(pending, "status") != "pending_approval" {
		t.Fatalf("stage promotion = %v", pending)
	}
	go func() {
		// Answered only by the crash: the connection breaks.
		_, _ = first.gql(ci, request, map[string]any{"r": "myapp-v2", "e": "dev"})
	}()
	started := first.waitFor("the deployer to take the job", func(l logLine) bool { return l["msg"] == "test deployer: deploying" })
	deployingID, _ := started["promotion"].(string)
	jobID, _ := started["job"].(string)
	if got := path(first.ok(ci, `query($id: ID!) { promotion(id: $id) { status } }`, map[string]any{"id": deployingID}), "promotion", "status"); got != "deploying" {
		t.Fatalf("promotion %s is %v while its job runs", deployingID, got)
	}
	first.kill9()

	// Second life: the same database, a deployer that finishes.
	second := startCrashChild(t, e.dbPath, keyFile, deployments, "record")
	rec := second.waitFor("recovery", func(l logLine) bool { return strings.HasPrefix(l["msg"].(string), "promotions recovered") })
	if rec["msg"] != "promotions recovered" || rec["resumed"] != 1.0 || rec["evaluated"] != 0.0 {
		t.Fatalf("recovery = %v", rec)
	}
	fields := `query($id: ID!) { promotion(id: $id) { status requestedBy evidence { type } } }`
	resumed := path(second.ok(ci, fields, map[string]any{"id": deployingID}), "promotion")
	if path(resumed, "status") != "deployed" || path(resumed, "requestedBy") != "ci" {
		t.Fatalf("resumed promotion = %v", resumed)
	}
	var packets []string
	for _, p := range path(resumed, "evidence").([]any) {
		packets = append(packets, path(p, "type").(string))
	}
	if strings.Join(packets, ",") != "release_decision,deployment" {
		t.Fatalf("resumed promotion's packets = %v", packets)
	}
	still := path(second.ok(ci, fields, map[string]any{"id": path(pending, "id")}), "promotion")
	if path(still, "status") != "pending_approval" {
		t.Fatalf("pending promotion after the restart = %v", still)
	}
	approved := path(second.ok(alice, `mutation($id: ID!) { approvePromotion(id: $id) { id status } }`,
		map[string]any{"id": path(pending, "id")}), "approvePromotion")
	if path(approved, "status") != "deployed" {
		t.Fatalf("approved after the restart = %v", approved)
	}

	// Each job was carried out once, the resumed one under its first id.
	jobs := readDeployments(t, deployments)
	if len(jobs) != 2 || jobs[0].Promotion != deployingID || jobs[0].Job != jobID || jobs[1].Promotion != path(pending, "id") {
		t.Fatalf("deployments = %+v, want %s (job %s) then %s", jobs, deployingID, jobID, path(pending, "id"))
	}
	all := path(second.ok(ci, `{ promotions { nodes { id status } } }`, nil), "promotions", "nodes").([]any)
	if len(all) != 2 {
		t.Fatalf("promotions = %v", all)
	}
	for _, p := range all {
		if path(p, "status") != "deployed" {
			t.Fatalf("promotions = %v", all)
		}
	}
}

// TestCrashChildProcess is the server of kill9ResumesPromotions when this
// binary runs as its child; run directly, it returns at once.
func TestCrashChildProcess(t *testing.T) {
	mode := os.Getenv(crashChildEnv)
	if mode == "" {
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	jobs := &fileDeployer{path: os.Getenv(crashDeploymentsEnv), log: log, hang: mode == "hang"}
	// The deployment runs as a workflow (default-deploy) whose deploy step
	// hands the job to jobs; a dead replica's node is taken over quickly.
	cfg := server.Config{DB: os.Getenv(crashDBEnv), KeyFile: os.Getenv(crashKeyEnv), Addr: "127.0.0.1:0", Logger: log, Jobs: jobs,
		WorkflowOptions: []runner.Option{runner.WithRescueAfter(2 * time.Second), runner.WithLease(time.Second)}}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		log.Error("start", "error", err)
		os.Exit(1)
	}
	err = srv.ListenAndServe(context.Background(), func(addr string) { log.Info("test server: listening", "addr", addr) })
	log.Error("serve", "error", err)
	os.Exit(1)
}

// fileDeployer records each deploy step's job in a file, once per
// idempotency key (the step.Deployer contract), so that jobs can be counted
// across processes. With hang it blocks once the job is recorded, as a
// deployment that never ends.
type fileDeployer struct {
	path string
	log  *slog.Logger
	hang bool
	mu   sync.Mutex
}

type deployment struct {
	Promotion string `json:"promotion"`
	Job       string `json:"job"`
}

func (d *fileDeployer) Deploy(ctx context.Context, req step.DeployRequest) (string, error) {
	job := deployment{Promotion: req.Promotion, Job: req.IdempotencyKey}
	if err := d.record(job); err != nil {
		return "", err
	}
	d.log.Info("test deployer: deploying", "promotion", job.Promotion, "job", job.Job)
	if d.hang {
		select {} // until kill -9
	}
	return job.Job, nil
}

func (d *fileDeployer) record(job deployment) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	raw, err := os.ReadFile(d.path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var j deployment
		if json.Unmarshal(line, &j) == nil && j.Job == job.Job {
			return nil // this job was handed before: carried out once
		}
	}
	f, err := os.OpenFile(d.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(job)
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readDeployments(t *testing.T, path string) []deployment {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []deployment
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var j deployment
		if err := json.Unmarshal(line, &j); err != nil {
			t.Fatalf("deployments file: %v", err)
		}
		out = append(out, j)
	}
	return out
}

type logLine map[string]any

// crashChild is a server running in a child process, and its log.
type crashChild struct {
	t     *testing.T
	cmd   *exec.Cmd
	url   string
	lines chan logLine
}

func startCrashChild(t *testing.T, db, keyFile, deployments, mode string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+mode, crashDBEnv+"="+db, crashKeyEnv+"="+keyFile,
		crashDeploymentsEnv+"="+deployments)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &crashChild{t: t, cmd: cmd, lines: make(chan logLine, 256)}
	t.Cleanup(c.kill9)
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l logLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				c.lines <- l
			}
		}
	}()
	ready := c.waitFor("the server to listen", func(l logLine) bool { return l["msg"] == "test server: listening" })
	c.url = "http://" + ready["addr"].(string)
	return c
}

// waitFor reads the child's log until a line matches; a child that dies
// or goes quiet for minutes fails the test rather than hanging it.
func (c *crashChild) waitFor(what string, match func(logLine) bool) logLine {
	c.t.Helper()
	guard := time.NewTimer(2 * time.Minute)
	defer guard.Stop()
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("the child server exited waiting for %s", what)
			}
			if lvl, _ := l["level"].(string); lvl == "ERROR" || lvl == "WARN" {
				c.t.Logf("child: %v", l)
			}
			if match(l) {
				return l
			}
		case <-guard.C:
			c.t.Fatalf("no sign of %s from the child server", what)
		}
	}
}

// kill9 sends SIGKILL and reaps the child.
func (c *crashChild) kill9() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

func (c *crashChild) gql(token, query string, vars map[string]any) (*gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := &gqlResponse{Status: resp.StatusCode}
	return out, json.Unmarshal(raw, out)
}

func (c *crashChild) ok(token, query string, vars map[string]any) map[string]any {
	c.t.Helper()
	r, err := c.gql(token, query, vars)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		c.t.Fatalf("%s\nerrors: %+v", query, r.Errors)
	}
	return r.Data
}
