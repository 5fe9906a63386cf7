// Package report renders the findings of one scan for people and tools: a
// stable JSON document, SARIF 2.1.0 for code-scanning dashboards, and an
// aligned table for terminals. It only presents what advisory.Matcher
// decided; it never changes a finding or decides pass/fail.
//
//	scan, err := advisory.NewMatcher(advisories).Scan(ctx, doc)
//	r := report.New("dir:.", sbomDigest, scan, advisories, len(doc.Components))
//	err = r.WriteSARIF(os.Stdout, version) // or WriteJSON, WriteTable
package report
