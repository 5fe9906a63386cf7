// Package advisory holds Stella's OSV-shaped vulnerability model, the raw
// observation envelope that every feed reader produces, CVSS base scoring
// with the one severity scale (Rating) that reports and gates share,
// OSV range evaluation and the Matcher that turns SBOM components into
// findings. Feed readers live in sibling packages (advisory/osv, …) and
// version orderings in advisory/version.
//
//	m := advisory.NewMatcher(advisories) // indexed once, safe for concurrent use
//	findings, err := m.Match(ctx, doc)
//
// The package never decides pass/fail (that is gate) and never applies VEX
// (that is vex): a Finding only says which advisory range holds the installed
// version, and why.
package advisory
