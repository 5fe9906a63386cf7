package feeds

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFetchSendsValidatorsAndHonours304(t *testing.T) {
	body := []byte(`{"id":"GO-2099-0001"}`)
	var gets, notModified int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets++
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Sat, 28 Nov 2026 12:00:00 GMT")
		w.Write(body)
	}))
	defer srv.Close()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	cur, changed, err := Fetch(context.Background(), srv.Client(), srv.URL, nil, &buf, now)
	if err != nil || !changed || buf.String() != string(body) || cur.ETag != `"v1"` || cur.ContentHash == "" {
		t.Fatalf("first fetch: %+v changed=%v err=%v body=%q", cur, changed, err, buf.String())
	}
	buf.Reset()
	again, changed, err := Fetch(context.Background(), srv.Client(), srv.URL, &cur, &buf, now)
	if err != nil || changed || buf.Len() != 0 || again.ContentHash != cur.ContentHash || notModified != 1 {
		t.Fatalf("conditional fetch: %+v changed=%v err=%v (304s: %d)", again, changed, err, notModified)
	}
	if _, _, err := Fetch(context.Background(), srv.Client(), srv.URL+"/%zz", nil, &buf, now); err == nil {
		t.Fatal("want an error for a bad URL")
	}
}
