package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// needSandbox skips where bubblewrap is missing, except under CI=true
// where a missing sandbox fails the test.
func needSandbox(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("bwrap")
	if err == nil {
		_, err = runScript(t, map[string]any{"script": "true"}, nil)
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("script sandbox unavailable under CI: %v", err)
	}
	t.Skipf("script sandbox unavailable: %v", err)
}

func runScriptLog(t *testing.T, cfg map[string]any, secrets map[string]string) (Output, error, string) {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	out, err := Script{}.Run(context.Background(), Input{RunID: "run1", NodeID: "sh", Attempt: 1, Config: raw, Secrets: secrets, Log: &log})
	return out, err, log.String()
}

func runScript(t *testing.T, cfg map[string]any, secrets map[string]string) (Output, error) {
	out, err, _ := runScriptLog(t, cfg, secrets)
	return out, err
}

func TestScriptEchoesAndSetsOutputs(t *testing.T) {
	needSandbox(t)
	t.Setenv("STELLA_HOST_ONLY", "leaked")
	out, err, log := runScriptLog(t, map[string]any{
		"script": `echo "hello from $(id -u) in $PWD"
echo "host var: ${STELLA_HOST_ONLY:-unset}, region $REGION"
echo "version=1.2.3" >> "$STELLA_OUTPUT"
echo "url=https://x/?a=b" >> "$STELLA_OUTPUT"`,
		"env": map[string]string{"REGION": "eu"},
	}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if want := "hello from 65534 in /work\nhost var: unset, region eu\n"; log != want {
		t.Fatalf("log %q, want %q", log, want)
	}
	if out.Values["exitCode"] != 0 || out.Values["version"] != "1.2.3" || out.Values["url"] != "https://x/?a=b" || len(out.Values) != 3 {
		t.Fatalf("outputs %v", out.Values)
	}
}

func TestScriptHasNoNetwork(t *testing.T) {
	needSandbox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	connect := "exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo connected"
	_, err, log := runScriptLog(t, map[string]any{"script": connect}, nil)
	if err == nil || strings.Contains(log, "connected") {
		t.Fatalf("connected without network: %v\n%s", err, log)
	}
	if accepted.Load() != 0 {
		t.Fatal("the host listener saw a connection")
	}
	// The same script with network: true reaches it, so the refusal above is the sandbox's.
	if _, err, log := runScriptLog(t, map[string]any{"script": connect, "network": true}, nil); err != nil || !strings.Contains(log, "connected") {
		t.Fatalf("network: true: %v\n%s", err, log)
	}
	deadline := time.Now().Add(2 * time.Second)
	for accepted.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if accepted.Load() != 1 {
		t.Fatalf("accepted %d connections with network: true", accepted.Load())
	}
}

func TestScriptCannotWriteTheHost(t *testing.T) {
	needSandbox(t)
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep")
	if err := os.WriteFile(keep, []byte("original"), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	targets := []string{keep, filepath.Join(dir, "new"), "/etc/stella-escape", "/usr/stella-escape", "/usr/bin/bash", "/stella/script.sh"}
	var script strings.Builder
	for _, p := range targets {
		fmt.Fprintf(&script, "echo pwned > %q 2>/dev/null && echo \"wrote %s\"\n", p, p)
	}
	script.WriteString("rm -f /usr/bin/env 2>/dev/null && echo 'removed env'\necho ok > /tmp/x && echo ok > /work/y && echo 'private dirs writable'\n")
	_, err, log := runScriptLog(t, map[string]any{"script": script.String()}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if strings.Contains(log, "wrote") || strings.Contains(log, "removed") || !strings.Contains(log, "private dirs writable") {
		t.Fatalf("log:\n%s", log)
	}
	if b, _ := os.ReadFile(keep); string(b) != "original" {
		t.Fatalf("host file changed: %q", b)
	}
	for _, p := range []string{filepath.Join(dir, "new"), "/etc/stella-escape", "/usr/stella-escape"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists on the host", p)
		}
	}
	if _, err := os.Stat("/usr/bin/env"); err != nil {
		t.Fatal("/usr/bin/env is gone from the host")
	}
}

// sandboxProcesses counts the host's processes of the uid sandboxes run
// as: 65534 when the test runs as root, else the test's own uid.
func sandboxProcesses(t *testing.T) int {
	t.Helper()
	uid := strconv.Itoa(sandboxUID)
	if os.Geteuid() != 0 {
		uid = strconv.Itoa(os.Geteuid())
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] == uid {
				n++
			}
		}
	}
	return n
}

func TestScriptForkBombIsContained(t *testing.T) {
	needSandbox(t)
	before := sandboxProcesses(t)
	start := time.Now()
	_, err, log := runScriptLog(t, map[string]any{
		"script":         "for i in $(seq 10000); do sleep 5 & done; wait",
		"processes":      64,
		"timeoutSeconds": 6,
	}, nil)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("a fork bomb succeeded")
	}
	if !strings.Contains(log, "Resource temporarily unavailable") || !strings.Contains(err.Error(), "the limit is 64") {
		t.Fatalf("no clear reason in the log (err %v):\n%.2000s", err, log)
	}
	if elapsed > 6*time.Second+10*time.Second {
		t.Fatalf("took %v, past the 6 s limit plus the kill delay", elapsed)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sandboxProcesses(t) > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := sandboxProcesses(t); n > before {
		t.Fatalf("%d sandbox processes left behind (before %d)", n, before)
	}
	t.Logf("fork bomb ended in %v: %v", elapsed.Round(time.Millisecond), err)
}

func TestScriptTimeoutKillsIt(t *testing.T) {
	needSandbox(t)
	before := sandboxProcesses(t)
	start := time.Now()
	out, err := runScript(t, map[string]any{"script": "echo started; sleep 60 & sleep 60", "timeoutSeconds": 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s") || !IsRetriable(err) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "started") {
		t.Fatalf("the error does not quote the log: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if out.Values["exitCode"] == 0 {
		t.Fatal("a killed script reports exit code 0")
	}
	deadline := time.Now().Add(5 * time.Second)
	for sandboxProcesses(t) > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := sandboxProcesses(t); n > before {
		t.Fatalf("%d sandbox processes left behind (before %d)", n, before)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err = Script{}.Run(ctx, Input{Config: json.RawMessage(`{"script": "sleep 60"}`)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestScriptMasksSecrets(t *testing.T) {
	needSandbox(t)
	secrets := map[string]string{"API_TOKEN": "hunter2-xyz", "SHORT": "hunter2"}
	out, err, log := runScriptLog(t, map[string]any{"script": `echo "token $API_TOKEN short $SHORT"
echo "tok=$API_TOKEN" >> "$STELLA_OUTPUT"
echo "bad $API_TOKEN" >&2; exit 4`}, secrets)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "exited with code 4") {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(log, "hunter2") || log != "token *** short ***\nbad ***\n" {
		t.Fatalf("log %q", log)
	}
	if out.Values["exitCode"] != 4 {
		t.Fatalf("outputs %v", out.Values)
	}
	out, err = runScript(t, map[string]any{"script": `echo "tok=$API_TOKEN" >> "$STELLA_OUTPUT"`}, secrets)
	if err != nil || out.Values["tok"] != "***" {
		t.Fatalf("outputs %v, %v", out.Values, err)
	}
}

func TestScriptLongLogKeepsTheTail(t *testing.T) {
	needSandbox(t)
	// 3072 lines of 1 KiB: 3 MiB.
	raw, _ := json.Marshal(map[string]any{"script": `for i in $(seq 1 3072); do printf '%01023d\n' $i; done; exit 3`, "retriable": true})
	log := &TailBuffer{}
	_, err := Script{}.Run(context.Background(), Input{Config: raw, Log: log})
	if err == nil || !IsRetriable(err) || !strings.Contains(err.Error(), fmt.Sprintf("%01023d", 3072)) {
		t.Fatalf("err %.300v", err)
	}
	kept := log.Bytes()
	if len(kept) > MaxLog || !log.Truncated() {
		t.Fatalf("kept %d bytes, truncated %v", len(kept), log.Truncated())
	}
	if want := fmt.Sprintf("%01023d\n", 3072); !strings.HasSuffix(string(kept), want) {
		t.Fatal("the kept log does not end with the last line")
	}
	if first := strings.SplitN(string(kept), "\n", 2)[0]; len(first) != 1023 {
		t.Fatalf("the kept log starts mid-line: %d bytes", len(first))
	}
}

func TestScriptOutputFileMustBeRegular(t *testing.T) {
	needSandbox(t)
	_, err := runScript(t, map[string]any{"script": `ln -s /etc/passwd "$STELLA_OUTPUT"`}, nil)
	if err == nil || strings.Contains(err.Error(), "root:") {
		t.Fatalf("a symlinked output file was followed: %v", err)
	}
	_, err = runScript(t, map[string]any{"script": `echo "not a pair" >> "$STELLA_OUTPUT"`}, nil)
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad output line: %v", err)
	}
}

func TestScriptNeverRunsUnsandboxed(t *testing.T) {
	for _, bwrap := range []string{"/nonexistent/bwrap", "/bin/false", "/bin/true"} {
		_, err := Script{Bwrap: bwrap}.Run(context.Background(), Input{Config: json.RawMessage(`{"script": "echo hi"}`)})
		if !errors.Is(err, ErrNoSandbox) || !strings.Contains(err.Error(), "bubblewrap (bwrap)") {
			t.Errorf("bwrap %s: err %v, want ErrNoSandbox", bwrap, err)
		}
	}
}

func TestScriptConfig(t *testing.T) {
	for config, want := range map[string]string{
		`{}`:                                                       "config.script",
		`{"script": "x", "timeoutSeconds": -1}`:                    "config.timeoutSeconds",
		`{"script": "x", "processes": 100000}`:                     "config.processes",
		`{"script": "x", "memoryMiB": -5}`:                         "config.memoryMiB",
		`{"script": "x", "env": {"1X": "a"}}`:                      "config.env.1X",
		`{"script": "x", "env": {"STELLA_OUTPUT": "/etc/passwd"}}`: "config.env.STELLA_OUTPUT",
		`{"script": "x", "network": "yes"}`:                        "config.network",
	} {
		_, err := Script{}.Run(context.Background(), Input{Config: json.RawMessage(config)})
		if err == nil || !strings.Contains(err.Error(), want+":") || IsRetriable(err) {
			t.Errorf("%s: %v, want a final error naming %s", config, err, want)
		}
	}
	_, err := Script{}.Run(context.Background(), Input{Config: json.RawMessage(`{"script": "x", "env": {"TOKEN": "a"}}`), Secrets: map[string]string{"TOKEN": "b"}})
	if err == nil || !strings.Contains(err.Error(), "config.env.TOKEN") {
		t.Errorf("env shadowing a secret: %v", err)
	}
}

func TestScriptResourceLimits(t *testing.T) {
	needSandbox(t)
	_, err := runScript(t, map[string]any{"script": "while :; do :; done", "cpuSeconds": 1, "timeoutSeconds": 30}, nil)
	if err == nil || !strings.Contains(err.Error(), "CPU time limit") {
		t.Fatalf("cpu: %v", err)
	}
	_, err = runScript(t, map[string]any{"script": "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}", "memoryMiB": 64}, nil)
	if err == nil {
		t.Fatal("a 200 MB string fitted in 64 MiB")
	}
	_, err = runScript(t, map[string]any{"script": "head -c 3000000 /dev/zero > big", "fileSizeMiB": 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "file size limit") {
		t.Fatalf("file size: %v", err)
	}
	// The limits hold for the script: it cannot raise them back.
	_, err, log := runScriptLog(t, map[string]any{"script": "ulimit -u 100000 && echo raised; ulimit -u", "processes": 50}, nil)
	if err != nil || strings.Contains(log, "raised") || !strings.HasSuffix(log, "50\n") {
		t.Fatalf("raise: %v\n%s", err, log)
	}
}

func TestScriptEnvironmentCannotReachTheWrapper(t *testing.T) {
	needSandbox(t)
	// BASH_ENV runs in the script's own shell, after the limits are set.
	out, err, log := runScriptLog(t, map[string]any{"script": `echo "x=$X" >> "$STELLA_OUTPUT"; ulimit -u`,
		"env": map[string]string{"BASH_ENV": "/stella/script.sh", "LD_PRELOAD": "/nonexistent.so", "X": "a b=c"}, "processes": 40}, nil)
	if err != nil || out.Values["x"] != "a b=c" || !strings.Contains(log, "40\n") {
		t.Fatalf("%v %v\n%s", out.Values, err, log)
	}
}
