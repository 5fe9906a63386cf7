package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

func TestCLIVEXAddManualStatement(t *testing.T) {
	hs, srv, admin := newServer(t)
	_, viewer, err := srv.CreateToken(context.Background(), server.DefaultTenant, "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	image := "sha256:" + strings.Repeat("ab", 32)
	args := []string{"vex", "add", "--product", image, "--vuln", "cve-2024-0727", "--status", "not_affected",
		"--justification", "vulnerable_code_not_in_execute_path", "--subcomponent", "pkg:deb/debian/openssl@3.0.11-1~deb12u1"}

	out, code := run(t, hs.URL, admin, append(args, "-o", "json")...)
	if code != ExitOK {
		t.Fatalf("vex add: exit %d: %s", code, out)
	}
	var res struct {
		Digest         string `json:"digest"`
		StatementCount int    `json:"statementCount"`
		Inserted       bool   `json:"inserted"`
		Document       struct {
			Format     string `json:"format"`
			Author     string `json:"author"`
			Statements []struct {
				Issuer        string   `json:"issuer"`
				Product       string   `json:"product"`
				Subcomponents []string `json:"subcomponents"`
				Vulnerability string   `json:"vulnerability"`
				Status        string   `json:"status"`
				Justification string   `json:"justification"`
			} `json:"statements"`
		} `json:"document"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("vex add -o json: %v\n%s", err, out)
	}
	if !strings.HasPrefix(res.Digest, "sha256:") || !res.Inserted || res.StatementCount != 1 || res.Document.Format != "manual" ||
		res.Document.Author != "default internal" || len(res.Document.Statements) != 1 {
		t.Fatalf("vex add = %+v", res)
	}
	st := res.Document.Statements[0]
	if st.Issuer != "unknown:default internal" || st.Product != image || st.Vulnerability != "CVE-2024-0727" ||
		st.Status != "not_affected" || st.Justification != "vulnerable_code_not_in_execute_path" ||
		len(st.Subcomponents) != 1 || st.Subcomponents[0] != "pkg:deb/debian/openssl@3.0.11-1~deb12u1" {
		t.Fatalf("statement = %+v", st)
	}

	// The table output names the document; an affected statement with an
	// action is another document.
	out, code = run(t, hs.URL, admin, "vex", "add", "--product", "pkg:npm/left-pad@1.3.0", "--vuln", "GHSA-aaaa-bbbb-cccc",
		"--status", "affected", "--action", "Upgrade to 1.3.1.")
	if code != ExitOK || !strings.Contains(out, "INSERTED:") || !strings.Contains(out, "manual") {
		t.Fatalf("vex add (table): exit %d: %s", code, out)
	}

	// Refusals: the server's VALIDATION names the field (exit 2); a viewer
	// is FORBIDDEN (exit 4); missing flags are a usage error.
	out, code = run(t, hs.URL, admin, "vex", "add", "--product", image, "--vuln", "CVE-2024-0727", "--status", "not_affected")
	if code != ExitUsage || !strings.Contains(out, "VALIDATION") || !strings.Contains(out, "input.justification") {
		t.Fatalf("not_affected without justification: exit %d: %s", code, out)
	}
	out, code = run(t, hs.URL, admin, "vex", "add", "--product", image, "--vuln", "CVE-2024-0727", "--status", "exploitable")
	if code != ExitUsage || !strings.Contains(out, "VALIDATION") {
		t.Fatalf("unknown status: exit %d: %s", code, out)
	}
	if out, code = run(t, hs.URL, viewer, args...); code != ExitTrust || !strings.Contains(out, "FORBIDDEN") {
		t.Fatalf("viewer: exit %d: %s", code, out)
	}
	if out, code = run(t, hs.URL, admin, "vex", "add", "--product", image, "--vuln", "CVE-2024-0727"); code != ExitUsage ||
		!strings.Contains(out, "status") {
		t.Fatalf("no --status: exit %d: %s", code, out)
	}

	// Both are stored, as manual documents.
	out, code = run(t, hs.URL, viewer, "vex", "add", "--help")
	if code != ExitOK || !strings.Contains(out, "--subcomponent") {
		t.Fatalf("vex add --help: exit %d: %s", code, out)
	}
	var docs struct {
		VexDocuments struct {
			Nodes []struct {
				Format string `json:"format"`
			} `json:"nodes"`
		} `json:"vexDocuments"`
	}
	if err := newClient(hs.URL, viewer).do(context.Background(), `{ vexDocuments { nodes { format } } }`, nil, &docs); err != nil {
		t.Fatal(err)
	}
	if n := docs.VexDocuments.Nodes; len(n) != 2 || n[0].Format != "manual" || n[1].Format != "manual" {
		t.Fatalf("stored documents = %+v, want the two manual ones", n)
	}
}
