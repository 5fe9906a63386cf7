package vex_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/vex"
)

// The image the statements speak about, and the package found in it.
const (
	image = "sha256:0000000000000000000000000000000000000000000000000000000000000042"
	pkg   = "pkg:golang/golang.org/x/net@v0.20.0"
)

// vendorVEX: the image's vendor says the vulnerable code is never called.
const vendorVEX = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://acme.example/vex/2026-0001",
  "author": "Acme Product Security",
  "timestamp": "2026-05-20T09:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2026-0001"},
    "products": [{"@id": "` + image + `", "subcomponents": [{"@id": "` + pkg + `"}]}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path"
  }]
}`

// scannerVEX: an unregistered scanner said, months earlier, that the package
// is affected.
const scannerVEX = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://scanner.example/vex/17",
  "author": "Some Scanner",
  "timestamp": "2025-09-01T09:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2026-0001"},
    "products": [{"@id": "` + pkg + `"}],
    "status": "affected",
    "action_statement": "upgrade golang.org/x/net to v0.23.0"
  }]
}`

func ExampleConsensus_Evaluate() {
	ctx := context.Background()
	reg, err := vex.NewRegistry("1", vex.Issuer{
		ID: "acme", Name: "Acme", Class: vex.ClassVendor, Authors: []string{"Acme Product Security"},
	})
	if err != nil {
		panic(err)
	}
	var stmts []vex.Statement
	for _, raw := range []string{vendorVEX, scannerVEX} {
		doc, err := vex.ReadAny(ctx, []byte(raw), reg) // attributes each document to an issuer
		if err != nil {
			panic(err)
		}
		stmts = append(stmts, doc.Statements...)
	}

	c, err := vex.NewConsensus(reg)
	if err != nil {
		panic(err)
	}
	cutoff := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // the decision's clock, injected
	v, err := c.Evaluate(ctx, vex.Subject{Product: image, Package: pkg, Vuln: []string{"CVE-2026-0001"}}, stmts, cutoff)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (%s), conflict %v, confidence %.2f\n", v.Status, v.Justification, v.Conflict, v.Confidence)
	for _, cl := range v.Claims {
		fmt.Printf("  %-20s %-12s score %.3f top %v\n", cl.Issuer, cl.Status, cl.Score, cl.InTopSet)
	}
	// Output:
	// not_affected (vulnerable_code_not_in_execute_path), conflict false, confidence 0.48
	//   acme                 not_affected score 0.475 top true
	//   unknown:Some Scanner affected     score 0.082 top false
}
