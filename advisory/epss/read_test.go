package epss_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/epss"
)

var fixture = filepath.Join("testdata", "epss_scores-2024-06-01.csv")

func TestParseScores(t *testing.T) {
	for _, name := range []string{fixture, fixture + ".gz"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := epss.Parse(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.ModelVersion != "v2023.03.01" || !f.ScoreDate.Equal(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)) || len(f.Scores) != 5 {
			t.Fatalf("%s: %+v", name, f)
		}
		wantCVEs := []string{"CVE-1999-0001", "CVE-2021-44228", "CVE-2023-5678", "CVE-2024-3094", "CVE-2024-4947"}
		for i, s := range f.Scores {
			if s.CVE != wantCVEs[i] || s.ModelVersion != "v2023.03.01" || s.ScoreDate != "2024-06-01" {
				t.Errorf("%s: scores[%d] %+v (want sorted by CVE)", name, i, s)
			}
		}
		if s := f.Scores[4]; s.Score != 0.001654 || s.Percentile != 0.538475 {
			t.Errorf("%s: rounding to 6 decimals: %+v", name, s)
		}
		want := advisory.EPSS{Score: 0.97565, Percentile: 0.99996, ModelVersion: "v2023.03.01", ScoreDate: "2024-06-01"}
		if got := f.Map()["CVE-2021-44228"]; got != want {
			t.Errorf("%s: map entry %+v, want %+v", name, got, want)
		}
	}
}

func TestReadObservation(t *testing.T) {
	plain, err := epss.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := epss.ReadFile(fixture + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	o := plain[0]
	if o.Upstream.ID != "2024-06-01" || o.Upstream.DocumentVersion != "v2023.03.01" || !o.Upstream.Modified.Equal(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		o.Source.ID != "epss" || o.Identifiers.Primary != "2024-06-01" || o.Content.Format != "epss-csv" || o.Advisory == nil || len(o.Advisory.Affected) != 0 {
		t.Errorf("observation %+v", o)
	}
	// gzip is transport: the same CSV gives the same observation.
	if gz[0].ContentHash != o.ContentHash || !bytes.Equal(gz[0].Content.Raw, o.Content.Raw) {
		t.Error("gzip and plain files differ")
	}
	// CRLF line endings do not change the hash; the raw bytes stay as given.
	crlf := bytes.ReplaceAll(o.Content.Raw, []byte("\n"), []byte("\r\n"))
	again, err := epss.Read(bytes.NewReader(crlf))
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ContentHash != o.ContentHash || !bytes.Equal(again[0].Content.Raw, crlf) {
		t.Errorf("CRLF: hash %s vs %s", again[0].ContentHash, o.ContentHash)
	}
	if !strings.HasPrefix(o.ContentHash, "sha256:") || o.ContentHash != epss.ContentHash(o.Content.Raw) {
		t.Errorf("content hash %s", o.ContentHash)
	}
	f, err := epss.FromObservation(o)
	if err != nil || len(f.Scores) != 5 {
		t.Errorf("FromObservation: %v", err)
	}
}

func TestReadErrorsNameFileLineAndColumn(t *testing.T) {
	const head = "#model_version:v2023.03.01,score_date:2024-06-01T00:00:00+0000\ncve,epss,percentile\n"
	for _, tt := range []struct{ doc, want string }{
		{"", "line 1: missing header comment"},
		{"cve,epss,percentile\n", "line 1: missing header comment"},
		{"#score_date:2024-06-01\ncve,epss,percentile\n", "line 1: model_version: required"},
		{"#model_version:v1\ncve,epss,percentile\n", "line 1: score_date: required"},
		{"#model_version:v1,score_date:June\ncve,epss,percentile\n", "line 1: score_date: \"June\" is not a date"},
		{"#model_version:v1,score_date:2024-06-01\ncve,score\n", "line 2: column header"},
		{head + "CVE-2024-0001,0.1\n", "line 3: want 3 columns"},
		{head + "CVE-2024-0001,0.1,0.2\nCVE-24-1,0.1,0.2\n", `line 4: cve: "CVE-24-1" is not a CVE id`},
		{head + "CVE-2024-0001,0.1,0.2\nCVE-2024-0001,0.1,0.2\n", "line 4: cve: CVE-2024-0001 listed again (first on line 3)"},
		{head + "CVE-2024-0001,1.5,0.2\n", "line 3: epss: \"1.5\" is not a number between 0 and 1"},
		{head + "CVE-2024-0001,0.1,NaN\n", "line 3: percentile"},
	} {
		p := filepath.Join(t.TempDir(), "bad.csv")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := epss.ReadFile(p)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.csv") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n error %v\n want a ValidationError naming bad.csv and %q", tt.doc, err, tt.want)
		}
	}
	if _, err := epss.Read(bytes.NewReader([]byte{0x1f, 0x8b, 0})); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("truncated gzip: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	seed, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(seed)
	zw.Close()
	f.Add(gz.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		obs, err := epss.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		file, err := epss.FromObservation(obs[0])
		if err != nil {
			t.Fatalf("FromObservation on an accepted observation: %v", err)
		}
		for _, s := range file.Scores {
			if s.Score < 0 || s.Score > 1 || s.Percentile < 0 || s.Percentile > 1 || s.ModelVersion == "" {
				t.Fatalf("accepted score %+v", s)
			}
		}
	})
}
