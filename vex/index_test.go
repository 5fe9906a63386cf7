package vex

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stella-ops/stella/advisory"
)

// indexStatements mixes ids in any case, aliases (some repeating the id)
// and a non-ASCII id that case-folds to an ASCII one (U+212A KELVIN SIGN
// folds to "k").
func indexStatements() []Statement {
	ids := []string{"CVE-2026-0001", "cve-2026-0001", "GHSA-aaaa-bbbb-cccc", "GO-2026-0001", "GO-2026-0002", "\u212Aev-1", "kev-1", "OTHER"}
	rng := rand.New(rand.NewPCG(1, 2))
	var out []Statement
	for i := range 200 {
		s := stmt(fmt.Sprintf("unknown:i%d", i%7), StatusAffected, 0)
		s.Vulnerability = ids[rng.IntN(len(ids))]
		for range rng.IntN(3) {
			s.Aliases = append(s.Aliases, ids[rng.IntN(len(ids))])
		}
		out = append(out, s)
	}
	return out
}

func TestIndexLookupFindsWhatAScanFinds(t *testing.T) {
	stmts := indexStatements()
	x := NewIndex(stmts)
	for _, group := range [][]string{
		{"CVE-2026-0001"}, {"Cve-2026-0001", "GHSA-AAAA-bbbb-cccc"}, {"GO-2026-0002"}, {"KEV-1"}, {"\u212AEV-1"},
		{"GO-2026-0001", "GO-2026-0001"}, {"CVE-1999-0000"}, nil,
	} {
		var want []Statement
		for _, s := range stmts {
			if matchesVuln(s, group) {
				want = append(want, s)
			}
		}
		got := x.Lookup(group)
		// A non-ASCII id in the group may fold to anything: all statements.
		allCandidates := slices.ContainsFunc(group, func(g string) bool { return !isASCII(g) })
		if allCandidates && len(got) != len(stmts) {
			t.Errorf("%q: %d candidates, want all %d", group, len(got), len(stmts))
		}
		var matched []Statement
		for _, s := range got {
			switch {
			case matchesVuln(s, group):
				matched = append(matched, s)
			case !allCandidates && isASCII(s.Vulnerability) && !slices.ContainsFunc(s.Aliases, func(a string) bool { return !isASCII(a) }):
				// Only statements with a non-ASCII id, which Unicode case
				// folding might equate, are candidates without matching.
				t.Errorf("%q: candidate %s %q does not match", group, s.Vulnerability, s.Aliases)
			}
		}
		if !slices.EqualFunc(matched, want, equalStatement) {
			t.Errorf("%q: lookup yields %d matching statements, a scan %d (or another order)", group, len(matched), len(want))
		}
		if len(group) > 0 && group[0] == "KEV-1" && len(want) == 0 {
			t.Error("the test data should equate KEV-1 and \u212Aev-1")
		}
	}
}

func equalStatement(a, b Statement) bool {
	return a.Vulnerability == b.Vulnerability && a.Issuer == b.Issuer && slices.Equal(a.Aliases, b.Aliases)
}

// Apply (through the index) gives every finding the verdict Evaluate gives
// over all statements.
func TestApplyThroughTheIndexEqualsEvaluatingEverything(t *testing.T) {
	stmts := indexStatements()
	findings := []advisory.Finding{
		{Package: testPkg, AdvisoryID: "GO-2026-0001", Aliases: []string{"CVE-2026-0001"}},
		{Package: testPkg, AdvisoryID: "GHSA-aaaa-bbbb-cccc"},
		{Package: testPkg, AdvisoryID: "KEV-1"},
		{Package: testPkg, AdvisoryID: "GO-2026-9999"},
	}
	ctx := context.Background()
	c := testConsensus(t)
	got, err := Apply(ctx, findings, stmts, c, testImage, testCutoff)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range findings {
		want, err := c.Evaluate(ctx, SubjectFor(f, testImage), stmts, testCutoff)
		if err != nil {
			t.Fatal(err)
		}
		if got[i].Verdict.Digest != want.Digest || len(got[i].Verdict.Claims) != len(want.Claims) {
			t.Errorf("%s: verdict %s with %d claims through the index, %s with %d over all statements",
				f.AdvisoryID, got[i].Verdict.Digest, len(got[i].Verdict.Claims), want.Digest, len(want.Claims))
		}
		if f.AdvisoryID != "GO-2026-9999" && len(want.Claims) == 0 {
			t.Errorf("%s: no claims; the test data should cover it", f.AdvisoryID)
		}
	}
}
