package kev_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/kev"
)

var fixture = filepath.Join("testdata", "known_exploited_vulnerabilities.json")

func TestParseEntries(t *testing.T) {
	f, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := kev.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != "2024.06.03" || !c.Released.Equal(time.Date(2024, 6, 3, 17, 58, 53, 256500000, time.UTC)) {
		t.Errorf("version %q released %v", c.Version, c.Released)
	}
	want := kev.Entry{
		CVE: "CVE-2021-44228", VendorProject: "Apache", Product: "Log4j2", Name: "Apache Log4j2 Remote Code Execution Vulnerability",
		DateAdded: "2021-12-10", DueDate: "2021-12-24", Ransomware: true,
		RequiredAction: "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.",
	}
	if len(c.Entries) != 3 || c.Entries[0] != want {
		t.Errorf("entries (sorted by CVE) %+v", c.Entries)
	}
	wantMap := map[string]advisory.KEV{
		"CVE-2021-44228": {DateAdded: "2021-12-10", DueDate: "2021-12-24", Ransomware: true},
		"CVE-2024-3094":  {DateAdded: "2024-04-01"},
		"CVE-2024-4947":  {DateAdded: "2024-05-20", DueDate: "2024-06-10"},
	}
	if got := c.Map(); !reflect.DeepEqual(got, wantMap) {
		t.Errorf("map %+v", got)
	}
}

func TestReadOneObservationPerCatalog(t *testing.T) {
	obs, err := kev.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 {
		t.Fatalf("%d observations, want 1", len(obs))
	}
	o := obs[0]
	if o.Upstream.ID != kev.CatalogID || o.Upstream.DocumentVersion != "2024.06.03" || o.Upstream.Modified.IsZero() ||
		o.Identifiers.Primary != kev.CatalogID || len(o.Identifiers.Aliases) != 0 || o.Source.ID != "kev" {
		t.Errorf("envelope %+v %+v %+v", o.Upstream, o.Identifiers, o.Source)
	}
	if o.Advisory == nil || o.Advisory.ID != kev.CatalogID || len(o.Advisory.Affected) != 0 || len(o.Advisory.Aliases) != 0 {
		t.Errorf("advisory %+v", o.Advisory)
	}
	c, err := kev.FromObservation(o)
	if err != nil || len(c.Entries) != 3 {
		t.Errorf("FromObservation: %v", err)
	}
	again, err := kev.Read(bytes.NewReader(o.Content.Raw))
	if err != nil || again[0].ContentHash != o.ContentHash || !strings.HasPrefix(o.ContentHash, "sha256:") {
		t.Errorf("raw content does not round-trip: %v", err)
	}
}

func TestReadErrorsNameFileAndField(t *testing.T) {
	entry := func(fields string) string {
		return `{"catalogVersion": "1", "vulnerabilities": [{"cveID": "CVE-2024-0001", "dateAdded": "2024-01-01"}, {` + fields + `}]}`
	}
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "not a KEV catalog"},
		{`{"vulnerabilities": []}`, "catalogVersion: required"},
		{`{"catalogVersion": "1"}`, "vulnerabilities: required"},
		{`{"catalogVersion": "1", "dateReleased": "today", "vulnerabilities": []}`, "dateReleased: not an RFC 3339"},
		{entry(`"cveID": "GHSA-1", "dateAdded": "2024-01-01"`), `vulnerabilities[1].cveID: "GHSA-1" is not a CVE id`},
		{entry(`"cveID": "CVE-2024-0001", "dateAdded": "2024-01-01"`), "vulnerabilities[1].cveID: CVE-2024-0001 listed again"},
		{entry(`"cveID": "CVE-2024-0002"`), "vulnerabilities[1].dateAdded: required"},
		{entry(`"cveID": "CVE-2024-0002", "dateAdded": "2024-01-01", "dueDate": "soon"`), "vulnerabilities[1].dueDate"},
		{entry(`"cveID": "CVE-2024-0002", "dateAdded": "2024-01-01", "knownRansomwareCampaignUse": "Yes"`), "vulnerabilities[1].knownRansomwareCampaignUse"},
	} {
		p := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := kev.ReadFile(p)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n error %v\n want a ValidationError naming bad.json and %q", tt.doc, err, tt.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	seed, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-2024-12345","dateAdded":"2024-02-29"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		obs, err := kev.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		c, err := kev.FromObservation(obs[0])
		if err != nil || obs[0].Advisory == nil || !strings.HasPrefix(obs[0].ContentHash, "sha256:") {
			t.Fatalf("accepted an unusable observation: %v", err)
		}
		for cve, k := range c.Map() {
			if cve == "" || k.DateAdded == "" {
				t.Fatalf("entry without CVE or date: %q %+v", cve, k)
			}
		}
	})
}
