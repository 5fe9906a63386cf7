package osv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/sbom"
)

func loadVulndb(tb testing.TB) []advisory.Observation {
	tb.Helper()
	obs, err := osv.ReadPath(testenv.VulndbOSV(tb))
	if err != nil {
		tb.Fatalf("reading vulndb: %v", err)
	}
	return obs
}

func TestVulndbEveryRecordReads(t *testing.T) {
	obs := loadVulndb(t)
	if len(obs) != 4789 {
		t.Fatalf("read %d records, want 4789", len(obs))
	}
	seen := map[string]bool{}
	for _, o := range obs {
		if !o.Upstream.Modified.IsZero() {
			t.Errorf("%s: modified = %v, vulndb writes the zero time", o.Upstream.ID, o.Upstream.Modified)
		}
		if !strings.HasPrefix(o.ContentHash, "sha256:") || len(o.ContentHash) != 71 {
			t.Errorf("%s: content hash %q", o.Upstream.ID, o.ContentHash)
		}
		if seen[o.Upstream.ID] {
			t.Errorf("duplicate id %s", o.Upstream.ID)
		}
		seen[o.Upstream.ID] = true
	}
	t.Logf("read %d vulndb records, 0 rejects", len(obs))
}

func TestVulndbMatchesKnownGoModules(t *testing.T) {
	m := advisory.NewMatcher(osv.Advisories(loadVulndb(t)))
	doc := &sbom.Document{Components: []sbom.Component{
		{PURL: "pkg:golang/golang.org/x/text@v0.3.0", Name: "golang.org/x/text", Version: "v0.3.0"},
		{PURL: "pkg:golang/golang.org/x/net@v0.0.0-20190620200207-3b0461eec859", Name: "golang.org/x/net", Version: "v0.0.0-20190620200207-3b0461eec859"},
		{PURL: "pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible", Name: "github.com/dgrijalva/jwt-go", Version: "v3.2.0+incompatible"},
		{PURL: "pkg:golang/golang.org/x/text@v0.3.8", Name: "golang.org/x/text", Version: "v0.3.8"},
	}}
	findings, err := m.Match(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]advisory.Finding{}
	for _, f := range findings {
		got[f.Package+" "+f.AdvisoryID] = f
	}
	for _, want := range []struct{ pkg, id, decision string }{
		{"pkg:golang/golang.org/x/text@v0.3.0", "GO-2020-0015", "introduced 0 <= v0.3.0 < fixed 0.3.3"},
		{"pkg:golang/golang.org/x/text@v0.3.0", "GO-2021-0113", ""},
		{"pkg:golang/golang.org/x/text@v0.3.0", "GO-2022-1059", ""},
		{"pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible", "GO-2020-0017", "introduced 0.0.0-20150717181359-44718f8a89b0 <= v3.2.0+incompatible (no fixed version)"},
		{"pkg:golang/golang.org/x/net@v0.0.0-20190620200207-3b0461eec859", "GO-2022-0236", ""},
	} {
		f, ok := got[want.pkg+" "+want.id]
		if !ok {
			t.Errorf("missing finding %s for %s", want.id, want.pkg)
			continue
		}
		if f.Evidence.Decision == "" || (want.decision != "" && f.Evidence.Decision != want.decision) {
			t.Errorf("%s %s: evidence %q, want %q", want.pkg, want.id, f.Evidence.Decision, want.decision)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "pkg:golang/golang.org/x/text@v0.3.8 ") && strings.Contains(k, "GO-2020-0015") {
			t.Errorf("x/text v0.3.8 must not match GO-2020-0015")
		}
	}
	t.Logf("%d findings", len(findings))
}
