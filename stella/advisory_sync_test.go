package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdvisorySyncFetchesOnlyWhenTheFeedChanged(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GO-2099-0001.json")
	w.Write([]byte(osvRecord))
	zw.Close()
	var full, conditional int
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"all-1"` {
			conditional++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full++
		w.Header().Set("ETag", `"all-1"`)
		w.Write(buf.Bytes())
	}))
	defer feed.Close()
	db := filepath.Join(t.TempDir(), "stella.db")
	url := feed.URL + "/Go/all.zip"

	out, code := run(t, "", "", "advisory", "sync", "--source", "osv", "--url", url, "--db", db, "-o", "json")
	var res struct{ Read, Appended, ChangedAdvisories int }
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.Appended != 1 || res.ChangedAdvisories != 1 {
		t.Fatalf("first sync: exit %d: %s", code, out)
	}
	out, code = run(t, "", "", "advisory", "sync", "--source", "osv", "--url", url, "--db", db)
	if code != ExitOK || !strings.Contains(out, "unchanged") || full != 1 || conditional != 1 {
		t.Fatalf("second sync: exit %d (%d full, %d conditional): %s", code, full, conditional, out)
	}
	if out, code := run(t, "", "", "advisory", "show", "GO-2099-0001", "--db", db); code != ExitOK {
		t.Fatalf("show after sync: exit %d: %s", code, out)
	}
}
