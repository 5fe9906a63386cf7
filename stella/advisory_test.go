package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const osvRecord = `{"schema_version":"1.6.0","id":"GO-2099-0001","modified":"2099-01-01T00:00:00Z","aliases":["CVE-2099-0001"],
"summary":"test advisory","affected":[{"package":{"ecosystem":"Go","name":"example.com/lib"},
"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`

func TestAdvisoryImportIsIdempotentAndShowFindsAliases(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "osv")
	os.MkdirAll(feed, 0o755)
	os.WriteFile(filepath.Join(feed, "GO-2099-0001.json"), []byte(osvRecord), 0o644)
	db := filepath.Join(dir, "stella.db")

	type result struct {
		Read, Appended, Skipped, ChangedAdvisories int
	}
	var first, second result
	for _, r := range []*result{&first, &second} {
		out, code := run(t, "", "", "advisory", "import", feed, "--db", db, "-o", "json")
		if code != ExitOK {
			t.Fatalf("import: exit %d: %s", code, out)
		}
		if err := json.Unmarshal([]byte(out), r); err != nil {
			t.Fatalf("import output: %v\n%s", err, out)
		}
	}
	if first.Read != 1 || first.Appended != 1 || first.ChangedAdvisories != 1 {
		t.Fatalf("first import = %+v", first)
	}
	if second.Appended != 0 || second.Skipped != 1 || second.ChangedAdvisories != 0 {
		t.Fatalf("second import of the same feed = %+v, want nothing new", second)
	}
	out, code := run(t, "", "", "advisory", "show", "CVE-2099-0001", "--db", db)
	if code != ExitOK || !strings.Contains(out, `"id": "CVE-2099-0001"`) && !strings.Contains(out, "GO-2099-0001") {
		t.Fatalf("show by alias: exit %d: %s", code, out)
	}
	if out, code := run(t, "", "", "advisory", "show", "CVE-1999-9999", "--db", db); code != ExitUsage || !strings.Contains(out, "not in the store") {
		t.Fatalf("show unknown: exit %d: %s", code, out)
	}
	if out, code := run(t, "", "", "advisory", "import", feed, "--db", db, "--source", "bogus"); code != ExitUsage || !strings.Contains(out, "bogus") {
		t.Fatalf("unknown source: exit %d: %s", code, out)
	}
}
