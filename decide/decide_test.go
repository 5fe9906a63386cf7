package decide_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/scan"
)

var cutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func digest(n int) string { return "sha256:" + fmt.Sprintf("%064d", n) }

func encodedSBOM(t testing.TB, name string, purls ...string) []byte {
	t.Helper()
	doc := &sbom.Document{Subject: sbom.Subject{Kind: "image", Name: name}}
	for _, p := range purls {
		n, v, _ := strings.Cut(strings.TrimPrefix(p, "pkg:golang/"), "@")
		doc.Components = append(doc.Components, sbom.Component{PURL: p, Type: "library", Name: n, Version: v})
	}
	var b bytes.Buffer
	if err := codec.Encode(&b, doc, codec.CycloneDXJSON17); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func request(t testing.TB) decide.Request {
	t.Helper()
	advs, err := scan.NewAdvisories([]scan.Entry{{Advisory: advisory.Advisory{ID: "GO-2026-0001", Aliases: []string{"CVE-2026-0001"},
		Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: "golang.org/x/net"},
			Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}}}},
		KEV: &advisory.KEV{DateAdded: "2026-01-10"}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := scan.NewVEX(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return decide.Request{Tenant: "acme", Cutoff: cutoff, Advisories: advs, VEX: v,
		Release: decide.Release{ID: "r1", Name: "shop-v1", Digest: digest(1), Components: []decide.Component{
			{Name: "api", Image: "registry.example/api@" + digest(2), SBOM: encodedSBOM(t, "api", "pkg:golang/golang.org/x/net@v0.16.0")},
			{Name: "web", Image: "registry.example/web@" + digest(3), SBOM: encodedSBOM(t, "web", "pkg:golang/golang.org/x/net@v0.16.0", "pkg:golang/golang.org/x/text@v0.3.8")},
			{Name: "cron", Image: "registry.example/api@" + digest(2), SBOM: encodedSBOM(t, "api", "pkg:golang/golang.org/x/net@v0.16.0")},
		}},
		Environment: gate.Environment{ID: "e1", Name: "prod", Tier: "production"}, Requester: gate.Requester{ID: "alice"}}
}

// The same request decided twice, and with its components shuffled, gives
// the same record bytes; each distinct SBOM is counted once.
func TestDecideIsDeterministic(t *testing.T) {
	ctx := context.Background()
	d, err := decide.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := request(t)
	rec, in, err := d.Decide(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := rec.Canonical()
	if rec.Decision != gate.Deny || !slices.Contains(rec.ReasonCodes, "kev.grace-expired") {
		t.Fatalf("decision %s %v", rec.Decision, rec.ReasonCodes)
	}
	if len(in.Findings) != 3 || len(rec.Inputs.SBOMDigests) != 2 || in.SBOM.ComponentCount != 3 || in.SBOM.ByType["golang"] != 3 {
		t.Fatalf("findings %d, sboms %v, summary %+v", len(in.Findings), rec.Inputs.SBOMDigests, in.SBOM)
	}
	if rec.Inputs.AdvisorySnapshotID != req.Advisories.Digest() || rec.Inputs.IssuerRegistryDigest != req.VEX.Registry().Digest() {
		t.Errorf("inputs %+v", rec.Inputs)
	}
	slices.Reverse(req.Release.Components)
	again, _, err := d.Decide(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := again.Canonical(); !bytes.Equal(got, want) {
		t.Fatalf("shuffled components:\n%s\nwant\n%s", got, want)
	}
}

// Missing inputs deny, never allow.
func TestDecideFailsClosed(t *testing.T) {
	ctx := context.Background()
	d, err := decide.New(ctx, decide.WithConfig(gate.Config{Gates: []gate.GateConfig{{ID: "kev", Type: "kev"}}}))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		edit func(*decide.Request)
		code string
	}{
		"an image without an SBOM": {func(r *decide.Request) { r.Release.Components[1].SBOM = nil }, "input.sbom-missing"},
		"no advisory snapshot":     {func(r *decide.Request) { r.Advisories = nil }, "input.advisory-snapshot-missing"},
		"no VEX":                   {func(r *decide.Request) { r.VEX = nil }, "input.vex-consensus-missing"},
	} {
		req := request(t)
		tc.edit(&req)
		rec, _, err := d.Decide(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Decision != gate.Deny || !slices.Contains(rec.ReasonCodes, tc.code) {
			t.Errorf("%s: %s %v, want deny with %s", name, rec.Decision, rec.ReasonCodes, tc.code)
		}
	}
	if _, _, err := d.Decide(ctx, decide.Request{}); err == nil {
		t.Error("a request without a cut-off was decided")
	}
	req := request(t)
	req.Release.Components[0].SBOM = []byte("not an SBOM")
	if _, _, err := d.Decide(ctx, req); err == nil || !strings.Contains(err.Error(), "api") {
		t.Errorf("an unreadable SBOM: %v", err)
	}
}

// Sources kept in a CAS read back to the same Input.
func TestSourcesRoundTrip(t *testing.T) {
	ctx := context.Background()
	req := request(t)
	src := decide.Sources{Schema: decide.SourcesSchema, Tenant: "acme", ReleaseID: "r1", ReleaseName: "shop-v1", ReleaseDigest: digest(1),
		Environment: "prod", Requester: "alice", Phase: string(gate.PhaseRequest), ClockCutoff: cutoff}
	blobs := decide.Blobs{Advisories: req.Advisories.Canonical(), Gates: []byte("environments: [{id: e1, name: prod, tier: production}]\ngates: [{id: kev, type: kev}]")}
	for _, c := range req.Release.Components {
		src.Components = append(src.Components, decide.SourceComponent{Name: c.Name, Image: c.Image, SBOM: ""})
		blobs.SBOMs = append(blobs.SBOMs, c.SBOM)
	}
	cas := record.MemCAS{}
	if err := src.Keep(ctx, cas, blobs); err != nil {
		t.Fatal(err)
	}
	loaded, err := src.Load(ctx, cas)
	if err != nil {
		t.Fatal(err)
	}
	back, file, err := src.Request(ctx, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Gates.Gates) != 1 || back.Environment.ID != "e1" {
		t.Fatalf("gates %+v, environment %+v", file.Gates, back.Environment)
	}
	in1, _, err := decide.Input(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	in2, _, err := decide.Input(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	in1.Normalize()
	in2.Normalize()
	d1, _ := gate.MarshalReplayInput(in1)
	d2, _ := gate.MarshalReplayInput(in2)
	if !bytes.Equal(d1, d2) {
		t.Fatalf("the Input rebuilt from the sources differs:\n%s\n%s", d1, d2)
	}
}

func TestParseConfigFile(t *testing.T) {
	for _, bad := range []string{
		"environments: [{tier: production}]",
		"environments: [{name: prod, requiredApprovals: 2, approverUsers: [alice]}]",
		"gates: [{id: x, type: kev, color: red}]",
		"gatez: []",
	} {
		if _, err := decide.ParseConfigFile([]byte(bad)); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	f, err := decide.ParseConfigFile(nil)
	if err != nil || len(f.Gates.Gates) == 0 {
		t.Fatalf("default: %v %+v", err, f)
	}
	if env, err := f.Environment("anywhere"); err != nil || env.Tier != "production" {
		t.Errorf("no environments: %+v %v", env, err)
	}
}
