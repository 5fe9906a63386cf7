// Package scan is the first half of Stella's golden path: an SBOM's
// packages matched against an advisory snapshot, enriched with KEV and
// EPSS, and given the VEX consensus verdict of each finding.
//
// The expensive parts are prepared once and used many times, as in OPA's
// rego package: an [Advisories] snapshot builds its matcher and its
// content digest once, a [VEX] view builds its consensus once, and a
// [Scanner] combines them for any number of SBOMs.
//
//	advs, _ := scan.NewAdvisories(entries)            // or scan.FromEffective(store.EffectiveAll(…))
//	v, _ := scan.NewVEX(registry, scan.Statements(stmts))
//	res, _ := scan.New(advs, scan.WithVEX(v)).Scan(ctx, doc, scan.AsOf(cutoff))
//	for _, a := range res.Applied { fmt.Println(a.Finding.AdvisoryID, a.Verdict.Status) }
//
// The second half, from findings to a gate decision, is package decide.
package scan
