// Package vex reads VEX statements in OpenVEX, CSAF 2.0 and CycloneDX,
// normalizes them to [Statement], and computes a trust-weighted consensus.
//
//	doc, err := vex.ReadAny(ctx, raw, registry) // OpenVEX, CSAF, CycloneDX or DSSE, attributed to an issuer
//	c, err := vex.NewConsensus(registry)
//	verdict, err := c.Evaluate(ctx, subject, doc.Statements, cutoff)
package vex
