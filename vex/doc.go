// Package vex reads VEX statements in OpenVEX, CSAF 2.0 and CycloneDX,
// normalizes them to [Statement], and computes a trust-weighted consensus.
//
//	stmts, doc, err := vex.ReadOpenVEX(r) // also ReadCSAF, ReadCycloneDX, ReadAttestation
//	verdict := c.Evaluate(ctx, subject, stmts, cutoff)
package vex
