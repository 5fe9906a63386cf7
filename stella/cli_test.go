package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

// run executes the CLI in process and returns its output and exit code.
func run(t *testing.T, srvURL, token string, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"--server", srvURL, "--token", token}, args...))
	err := cmd.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
		return out.String(), ExitOK
	case errors.As(err, &ee):
		return out.String() + ee.Error(), ee.code
	}
	return out.String() + err.Error(), ExitUsage
}

func newServer(t *testing.T) (*httptest.Server, *server.Server, string) {
	t.Helper()
	dir := t.TempDir()
	srv, err := server.New(context.Background(), server.Config{DB: filepath.Join(dir, "stella.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	admin, err := srv.Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs, srv, admin
}

func TestCLIEnvironmentsAndExitCodes(t *testing.T) {
	hs, srv, admin := newServer(t)
	for _, args := range [][]string{
		{"env", "create", "prod", "--order", "2", "--tier", "production", "--approvals", "2", "--separation-of-duties"},
		{"env", "create", "dev", "--order", "0", "--tier", "development", "--var", "LOG_LEVEL=debug"},
	} {
		if out, code := run(t, hs.URL, admin, args...); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
	}
	out, code := run(t, hs.URL, admin, "env", "list", "-o", "json")
	if code != ExitOK {
		t.Fatalf("env list: exit %d: %s", code, out)
	}
	var envs []struct {
		Name         string `json:"name"`
		IsProduction bool   `json:"isProduction"`
	}
	if err := json.Unmarshal([]byte(out), &envs); err != nil {
		t.Fatalf("env list -o json is not a JSON list: %v\n%s", err, out)
	}
	if len(envs) != 2 || envs[0].Name != "dev" || envs[1].Name != "prod" || !envs[1].IsProduction {
		t.Fatalf("envs = %+v, want dev then prod", envs)
	}
	table, _ := run(t, hs.URL, admin, "env", "list")
	if !strings.HasPrefix(table, "NAME") || !strings.Contains(table, "production") {
		t.Fatalf("table output:\n%s", table)
	}

	t.Setenv("WEB1_KEY", "very-secret-key")
	if out, code := run(t, hs.URL, admin, "target", "register", "web-1", "--env", "prod", "--secret-env", "tlsKey=WEB1_KEY"); code != ExitOK || strings.Contains(out, "very-secret-key") {
		t.Fatalf("target register: exit %d: %s", code, out)
	}
	if out, code := run(t, hs.URL, admin, "env", "delete", "prod"); code != ExitUsage || !strings.Contains(out, "CONFLICT") {
		t.Fatalf("deleting prod with a target: exit %d, want %d: %s", code, ExitUsage, out)
	}
	if out, code := run(t, hs.URL, admin, "target", "register", "web-2", "--env", "prod", "--secret-env", "k=UNSET_VAR_FOR_TEST"); code != ExitUsage || !strings.Contains(out, "UNSET_VAR_FOR_TEST") {
		t.Fatalf("missing secret variable: exit %d: %s", code, out)
	}

	_, viewer, err := srv.CreateToken(context.Background(), server.DefaultTenant, "carol", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, hs.URL, viewer, "env", "create", "qa", "--order", "1"); code != ExitTrust || !strings.Contains(out, "FORBIDDEN") {
		t.Fatalf("viewer creating: exit %d, want %d: %s", code, ExitTrust, out)
	}
	if out, code := run(t, hs.URL, "stl_wrong", "env", "list"); code != ExitTrust {
		t.Fatalf("bad token: exit %d, want %d: %s", code, ExitTrust, out)
	}
	if out, code := run(t, "http://127.0.0.1:1", admin, "env", "list"); code != ExitInternal || !strings.Contains(out, "cannot reach") {
		t.Fatalf("unreachable server: exit %d: %s", code, out)
	}
	if out, code := run(t, hs.URL, admin, "release", "add", "r", "api"); code != ExitUsage {
		t.Fatalf("release add without --tag or --digest: exit %d: %s", code, out)
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	out, code := run(t, "http://unused", "", "--help")
	if code != ExitOK || !strings.Contains(out, "Exit codes") || !strings.Contains(out, "130") || !strings.Contains(out, "10   determinism") {
		t.Fatalf("help: exit %d:\n%s", code, out)
	}
}
