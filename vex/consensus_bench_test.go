package vex_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/vex"
)

// benchStatements is the statement count of both benchmarks (issue 5:
// "consensus over 100,000 statements").
const benchStatements = 100_000

var (
	benchCutoff   = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	benchStatuses = []vex.Status{vex.StatusNotAffected, vex.StatusAffected, vex.StatusFixed, vex.StatusUnderInvestigation}
)

// benchStatement is a statement as a reader returns it: normalized, with
// its digest computed.
func benchStatement(b *testing.B, issuer, vuln, product string, st vex.Status, age time.Duration) vex.Statement {
	s := vex.Statement{
		Issuer: issuer, DocumentDigest: "sha256:doc-" + issuer, Format: vex.FormatOpenVEX,
		Vulnerability: vuln, Product: vex.Product{Ref: product},
		Status: st, SourceStatus: string(st), Timestamp: benchCutoff.Add(-age),
	}
	if st == vex.StatusNotAffected {
		s.Justification = vex.JustificationCodeNotInExecutePath
	}
	if _, err := s.ComputeDigest(); err != nil {
		b.Fatal(err)
	}
	return s
}

func reportStatements(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "stmts/s")
}

// BenchmarkConsensusEvaluate100k is one consensus over 100,000 statements about one
// subject: 1,000 issuers with 100 statements each (so 99,000 are
// superseded), half about the exact version, half version-less and
// percent-encoded.
func BenchmarkConsensusEvaluate100k(b *testing.B) {
	const issuers = 1000
	subj := vex.Subject{Package: "pkg:golang/golang.org/x/net@v0.1.0", Vuln: []string{"CVE-2026-0001", "GHSA-aaaa-bbbb-cccc"}}
	stmts := make([]vex.Statement, 0, benchStatements)
	for i := range benchStatements {
		product := "pkg:golang/golang.org/x/net@v0.1.0"
		if i%2 == 1 {
			product = "pkg:golang/golang.org%2Fx%2Fnet"
		}
		vuln := subj.Vuln[i%2]
		age := time.Duration(i/issuers) * 24 * time.Hour
		stmts = append(stmts, benchStatement(b, fmt.Sprintf("unknown:issuer-%04d", i%issuers), vuln, product, benchStatuses[i%len(benchStatuses)], age))
	}
	c, err := vex.NewConsensus(nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v, err := c.Evaluate(ctx, subj, stmts, benchCutoff)
		if err != nil {
			b.Fatal(err)
		}
		if len(v.Claims) != benchStatements {
			b.Fatalf("%d claims", len(v.Claims))
		}
	}
	reportStatements(b, benchStatements)
}

// BenchmarkConsensusApply100k applies 100,000 statements, ten per vulnerability
// over 10,000 vulnerabilities in 2,000 packages, to 10,000 findings (one
// per vulnerability).
func BenchmarkConsensusApply100k(b *testing.B) {
	findings, stmts := applyBenchData(b, 10_000, 10, 2_000)
	c, err := vex.NewConsensus(nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		applied, err := vex.Apply(ctx, findings, stmts, c, "", benchCutoff)
		if err != nil {
			b.Fatal(err)
		}
		if len(applied) != len(findings) {
			b.Fatalf("%d applied", len(applied))
		}
	}
	reportStatements(b, len(stmts))
}

// applyBenchData builds one finding per vulnerability and perVuln
// statements about each, from perVuln issuers; every fifth statement is
// about another version of the package and does not apply.
func applyBenchData(b *testing.B, vulns, perVuln, packages int) ([]advisory.Finding, []vex.Statement) {
	findings := make([]advisory.Finding, 0, vulns)
	stmts := make([]vex.Statement, 0, vulns*perVuln)
	for v := range vulns {
		id := fmt.Sprintf("GO-2026-%05d", v)
		alias := fmt.Sprintf("CVE-2026-%05d", v)
		name := fmt.Sprintf("example.com/m%04d", v%packages)
		pkg := "pkg:golang/" + name + "@v1.0.0"
		findings = append(findings, advisory.Finding{Package: pkg, InstalledVersion: "v1.0.0", AdvisoryID: id, Aliases: []string{alias}})
		for j := range perVuln {
			vuln, product := id, pkg
			if j%2 == 1 {
				vuln = alias
			}
			if j%5 == 4 {
				product = "pkg:golang/" + name + "@v2.0.0"
			}
			stmts = append(stmts, benchStatement(b, fmt.Sprintf("unknown:issuer-%02d", j), vuln, product, benchStatuses[(v+j)%len(benchStatuses)], time.Duration(j)*24*time.Hour))
		}
	}
	return findings, stmts
}
