package vex

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var (
	testCutoff = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	testImage  = "sha256:" + fmt.Sprintf("%064x", 42)
	testPkg    = "pkg:golang/golang.org/x/net@v0.1.0"
	testVuln   = []string{"CVE-2026-0001", "GHSA-aaaa-bbbb-cccc"}
)

func testSubject() Subject { return Subject{Product: testImage, Package: testPkg, Vuln: testVuln} }

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	r, err := NewRegistry("1",
		Issuer{ID: "acme", Name: "Acme", Class: ClassVendor, Keys: []IssuerKey{{KeyID: "acme-key"}}},
		Issuer{ID: "distro", Name: "Distro", Class: ClassDistro},
		Issuer{ID: "strict", Class: ClassVendor, RequireSignatureForNotAffected: true},
		Issuer{ID: "scoped", Class: ClassVendor, Scope: []string{"pkg:npm/"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testConsensus(t *testing.T, opts ...Option) *Consensus {
	t.Helper()
	c, err := NewConsensus(testRegistry(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func evaluate(t *testing.T, c *Consensus, stmts ...Statement) Verdict {
	t.Helper()
	v, err := c.Evaluate(context.Background(), testSubject(), stmts, testCutoff)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// stmt builds a statement about the test image dated age before the cut-off.
func stmt(issuer string, st Status, age time.Duration) Statement {
	s := Statement{
		Issuer: issuer, DocumentDigest: "sha256:doc-" + issuer, Format: FormatOpenVEX,
		Vulnerability: testVuln[0], Product: Product{Ref: testImage},
		Status: st, SourceStatus: string(st), Timestamp: testCutoff.Add(-age),
	}
	if st == StatusNotAffected {
		s.Justification = JustificationCodeNotInExecutePath
	}
	return s
}

// vendorSigned is a signed, timestamped, exact vendor claim: P=C=R=1, M=0.8.
func vendorSigned(st Status) Statement {
	s := stmt("acme", st, 0)
	s.Signature = Signature{Signed: true, Verified: true, KeyID: "acme-key", Timestamped: true}
	return s
}

// communityUpload is an unsigned manual upload by an unknown author about a
// version-less purl: P=0.1, C=0.5, R=0.2, blanket M=0.6.
func communityUpload(st Status) Statement {
	s := stmt("unknown:bob", st, 0)
	s.Format = FormatManual
	s.Justification = ""
	s.Product = Product{Ref: "pkg:golang/golang.org%2Fx%2Fnet"}
	return s
}

func claimOf(t *testing.T, v Verdict, issuer string) Claim {
	t.Helper()
	for _, c := range v.Claims {
		if c.Issuer == issuer && c.Dropped != DropSuperseded {
			return c
		}
	}
	t.Fatalf("no claim from %s in %+v", issuer, v.Claims)
	return Claim{}
}

func TestVendorBeatsCommunity(t *testing.T) {
	v := evaluate(t, testConsensus(t), vendorSigned(StatusNotAffected), communityUpload(StatusAffected))
	if v.Status != StatusNotAffected || v.Conflict {
		t.Fatalf("status %s conflict %v, want not_affected without conflict", v.Status, v.Conflict)
	}
	if v.Justification != JustificationCodeNotInExecutePath {
		t.Errorf("justification %q", v.Justification)
	}
	vendor, community := claimOf(t, v, "acme"), claimOf(t, v, "unknown:bob")
	if vendor.Score != 0.8 || !vendor.InTopSet {
		t.Errorf("vendor claim %+v, want score 0.8 in top set", vendor)
	}
	if math.Abs(community.Score-0.156) > 1e-9 || community.InTopSet || community.Dropped != "" {
		t.Errorf("community claim %+v, want score 0.156 outside the top set", community)
	}
	if v.Confidence != 0.8 {
		t.Errorf("confidence %v, want 0.8", v.Confidence)
	}
}

func TestEqualTrustDisagreementIsAffected(t *testing.T) {
	a := vendorSigned(StatusNotAffected)
	b := stmt("other-vendor", StatusAffected, 0)
	b.ActionStatement = "upgrade" // M = 0.8, like the justified not_affected
	// Make both issuers score identically: unknown issuers with the same inputs.
	a.Issuer, a.Signature = "unknown:alice", Signature{}
	b.Issuer = "unknown:carol"
	v := evaluate(t, testConsensus(t), a, b)
	if claimOf(t, v, a.Issuer).Score != claimOf(t, v, b.Issuer).Score {
		t.Fatalf("scores differ: %+v", v.Claims)
	}
	if v.Status != StatusAffected || !v.Conflict {
		t.Fatalf("status %s conflict %v, want affected with conflict", v.Status, v.Conflict)
	}
	for _, c := range v.Claims {
		if !c.InTopSet {
			t.Errorf("claim %s not in top set", c.Issuer)
		}
	}
}

func TestNoStatementsIsUnknown(t *testing.T) {
	v := evaluate(t, testConsensus(t))
	if v.Status != StatusUnknown || v.Confidence != 0 || v.Conflict || len(v.Claims) != 0 {
		t.Fatalf("verdict %+v, want unknown with confidence 0", v)
	}
	// Statements about other vulnerabilities or packages do not count either.
	other := vendorSigned(StatusNotAffected)
	other.Vulnerability = "CVE-2026-9999"
	if v := evaluate(t, testConsensus(t), other); v.Status != StatusUnknown || len(v.Inputs) != 0 {
		t.Fatalf("unrelated statement used: %+v", v)
	}
}

func TestLattice(t *testing.T) {
	c := testConsensus(t)
	fixed := vendorSigned(StatusFixed)
	na := stmt("unknown:dora", StatusNotAffected, 0)
	na.Signature = Signature{}
	na.Product = Product{Ref: testImage}
	// Same score for both: give the vendor fixed claim the same trust as dora.
	fixed.Issuer, fixed.Signature = "unknown:erin", Signature{}
	if v := evaluate(t, c, fixed, na); v.Status != StatusFixed || v.Conflict {
		t.Errorf("{fixed, not_affected} = %s conflict %v, want fixed", v.Status, v.Conflict)
	}
	if v := evaluate(t, c, vendorSigned(StatusUnderInvestigation)); v.Status != StatusUnderInvestigation {
		t.Errorf("{under_investigation} = %s", v.Status)
	}
}

func TestAllBelowMinScoreIsUnknown(t *testing.T) {
	old := communityUpload(StatusNotAffected)
	old.Timestamp = testCutoff.AddDate(-1, 0, 0) // F = floor: 0.26 × 0.6 × 0.2 < 0.10
	v := evaluate(t, testConsensus(t), old)
	if v.Status != StatusUnknown || v.Confidence != 0 {
		t.Fatalf("verdict %s/%v, want unknown/0", v.Status, v.Confidence)
	}
	if c := claimOf(t, v, old.Issuer); c.Dropped != DropBelowMinScore {
		t.Errorf("claim dropped as %q, want below-min-score", c.Dropped)
	}
}

func TestLatestPerIssuer(t *testing.T) {
	jan := vendorSigned(StatusNotAffected)
	jan.Timestamp = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	mar := vendorSigned(StatusAffected)
	mar.Timestamp = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	v := evaluate(t, testConsensus(t), mar, jan)
	if v.Status != StatusAffected || v.Conflict {
		t.Fatalf("status %s conflict %v, want affected (March) without conflict", v.Status, v.Conflict)
	}
	for _, c := range v.Claims {
		if c.Status == StatusNotAffected && (c.Dropped != DropSuperseded || c.InTopSet) {
			t.Errorf("January claim %+v, want superseded", c)
		}
	}
	if len(v.Inputs) != 2 {
		t.Errorf("inputs %v, want both statements", v.Inputs)
	}
}

func TestFutureTimestamp(t *testing.T) {
	s := vendorSigned(StatusNotAffected)
	s.Timestamp = testCutoff.AddDate(0, 0, 1)
	c := claimOf(t, evaluate(t, testConsensus(t), s), "acme")
	if c.Freshness != 1 || !slices.Contains(c.Flags, FlagFutureTimestamp) {
		t.Errorf("claim %+v, want F=1 and future-timestamp", c)
	}
}

func TestRegistryDrops(t *testing.T) {
	strict := stmt("strict", StatusNotAffected, 0)
	if c := claimOf(t, evaluate(t, testConsensus(t), strict), "strict"); c.Dropped != DropUnsignedNotAffected {
		t.Errorf("unsigned not_affected from strict issuer dropped as %q", c.Dropped)
	}
	scoped := stmt("scoped", StatusNotAffected, 0)
	if c := claimOf(t, evaluate(t, testConsensus(t), scoped), "scoped"); c.Dropped != DropOutOfScope {
		t.Errorf("golang claim from npm-scoped issuer dropped as %q", c.Dropped)
	}
	r, err := NewRegistry("3", Issuer{ID: "xgo", Class: ClassVendor, Scope: []string{"pkg:golang/golang.org/x/"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewConsensus(r)
	if err != nil {
		t.Fatal(err)
	}
	subj := Subject{Product: testImage, Package: "pkg:golang/golang.org%2Fx%2Fnet@v0.1.0", Vuln: testVuln}
	v, err := c.Evaluate(context.Background(), subj, []Statement{stmt("xgo", StatusNotAffected, 0)}, testCutoff)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Claims) != 1 {
		t.Fatalf("claims %+v", v.Claims)
	}
	if v.Claims[0].Dropped != "" || v.Status != StatusNotAffected {
		t.Errorf("in-scope claim (encoded package) dropped as %q, status %s", v.Claims[0].Dropped, v.Status)
	}
}

func TestRevokedKeyLowersProvenance(t *testing.T) {
	r, err := NewRegistry("2", Issuer{ID: "acme", Class: ClassVendor,
		Keys: []IssuerKey{{KeyID: "acme-key", RevokedAt: testCutoff.AddDate(0, 0, -1)}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewConsensus(r)
	if err != nil {
		t.Fatal(err)
	}
	if p := claimOf(t, evaluate(t, c, vendorSigned(StatusNotAffected)), "acme").Provenance; p != 0.40 {
		t.Errorf("revoked key gives P = %v, want 0.40", p)
	}
}

// twentyStatements mixes issuers, statuses, ages, products and signatures.
func twentyStatements() []Statement {
	statuses := []Status{StatusAffected, StatusNotAffected, StatusFixed, StatusUnderInvestigation}
	var out []Statement
	for i := range 20 {
		s := stmt(fmt.Sprintf("unknown:issuer-%d", i%7), statuses[i%4], time.Duration(i)*72*time.Hour)
		if i%3 == 0 {
			s.Product = Product{Ref: "pkg:golang/golang.org/x/net"}
		}
		if i%5 == 0 {
			s = vendorSigned(statuses[i%4])
			s.Timestamp = testCutoff.Add(-time.Duration(i) * time.Hour)
		}
		out = append(out, s)
	}
	return out
}

func TestOrderIndependence(t *testing.T) {
	c := testConsensus(t)
	stmts := twentyStatements()
	want := evaluate(t, c, stmts...)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		rng.Shuffle(len(stmts), func(i, j int) { stmts[i], stmts[j] = stmts[j], stmts[i] })
		if got := evaluate(t, c, stmts...); got.Digest != want.Digest {
			t.Fatalf("digest %s after shuffle, want %s", got.Digest, want.Digest)
		}
	}
}

func TestIdempotence(t *testing.T) {
	c := testConsensus(t)
	stmts := twentyStatements()
	want := evaluate(t, c, stmts...)
	dup := append(slices.Clone(stmts), stmts[3], stmts[7], stmts[3])
	if got := evaluate(t, c, dup...); got.Digest != want.Digest {
		t.Fatalf("duplicates changed the digest: %s vs %s", got.Digest, want.Digest)
	}
	// Re-running gives the same record.
	if again := evaluate(t, c, stmts...); again.Digest != want.Digest {
		t.Fatal("second run differs")
	}
	// A precomputed digest is the same as one computed on the fly.
	pre := slices.Clone(stmts)
	for i := range pre {
		if _, err := pre[i].ComputeDigest(); err != nil {
			t.Fatal(err)
		}
	}
	if got := evaluate(t, c, pre...); got.Digest != want.Digest {
		t.Fatal("precomputed statement digests change the verdict")
	}
}

func TestDigestCoversInputs(t *testing.T) {
	c := testConsensus(t)
	a := evaluate(t, c, vendorSigned(StatusNotAffected))
	other, err := c.Evaluate(context.Background(), testSubject(),
		[]Statement{vendorSigned(StatusNotAffected)}, testCutoff.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest == other.Digest {
		t.Error("cut-off does not change the digest")
	}
	c2 := testConsensus(t, WithDelta(0.2))
	if evaluate(t, c2, vendorSigned(StatusNotAffected)).Digest == a.Digest {
		t.Error("settings do not change the digest")
	}
	if len(a.Digest) != len("sha256:")+64 {
		t.Errorf("digest %q", a.Digest)
	}
}

func TestEvaluateHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := testConsensus(t).Evaluate(ctx, testSubject(), twentyStatements(), testCutoff); err == nil {
		t.Error("cancelled context ignored")
	}
}
