package vex

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func consensusVerdicts(t *testing.T) []Verdict {
	t.Helper()
	stmts, err := ReadOpenVEX(strings.NewReader(govulncheckVEX))
	if err != nil {
		t.Fatal(err)
	}
	c := testConsensus(t)
	cutoff := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	var out []Verdict
	for _, subj := range []Subject{
		{Package: "pkg:golang/golang.org/x/net@v0.17.0", Vuln: []string{"GO-2023-2102", "CVE-2023-39325"}},
		{Product: imageDigest, Package: "pkg:golang/golang.org/x/net@v0.17.0", Vuln: []string{"GO-2024-2687"}},
		{Package: "pkg:golang/golang.org/x/net@v0.17.0", Vuln: []string{"CVE-2099-0001"}}, // unknown: left out
	} {
		v, err := c.Evaluate(context.Background(), subj, stmts, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestConsensusDocumentIsValidDeterministicOpenVEX(t *testing.T) {
	verdicts := consensusVerdicts(t)
	doc, err := ConsensusDocument(verdicts, "Stella consensus")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := MarshalOpenVEX(doc)
	if err != nil {
		t.Fatal(err)
	}

	// Valid against the OpenVEX schema, with formats asserted.
	validateOpenVEX(t, raw)

	// Shuffled verdicts give the same bytes.
	for range 20 {
		shuffled := append([]Verdict(nil), verdicts...)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		d2, err := ConsensusDocument(shuffled, "Stella consensus")
		if err != nil {
			t.Fatal(err)
		}
		raw2, err := MarshalOpenVEX(d2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, raw2) {
			t.Fatalf("shuffled verdicts changed the document:\n%s\n%s", raw, raw2)
		}
	}

	// Reading it back gives the decided statuses; the unknown verdict is absent.
	back, err := ReadOpenVEX(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Statement{}
	for _, s := range back {
		got[s.Vulnerability] = s
	}
	if len(got) != 2 {
		t.Fatalf("want 2 statements, got %+v", back)
	}
	if s := got["GO-2023-2102"]; s.Status != StatusNotAffected || s.Justification != JustificationCodeNotInExecutePath {
		t.Errorf("not_affected verdict lost its justification: %+v", s)
	}
	if s := got["GO-2024-2687"]; s.Status != StatusAffected || s.Product.Ref != imageDigest ||
		len(s.Product.Subcomponents) != 1 || s.Product.Subcomponents[0] != "pkg:golang/golang.org/x/net@v0.17.0" {
		t.Errorf("affected verdict product/subcomponent wrong: %+v", s)
	}
}

func TestConsensusDocumentNeedsAuthorAndSealedVerdicts(t *testing.T) {
	if _, err := ConsensusDocument(nil, ""); err == nil {
		t.Error("no author accepted")
	}
	if _, err := ConsensusDocument([]Verdict{{Status: StatusAffected}}, "x"); err == nil || !strings.Contains(err.Error(), "not sealed") {
		t.Errorf("unsealed verdict accepted: %v", err)
	}
}
