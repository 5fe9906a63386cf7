// Package kev reads the CISA Known Exploited Vulnerabilities catalog JSON
// (known_exploited_vulnerabilities.json). KEV is enrichment: it flags CVEs
// as exploited in the wild with the date CISA added them, and never takes
// part in source precedence.
//
//	cat, err := kev.Parse(f)         // typed entries, sorted by CVE
//	flags := cat.Map()               // CVE → advisory.KEV, for the matcher and merge
//
// [Read] wraps the whole catalog as one observation (identity: the catalog,
// upstream id [CatalogID]; revisions follow catalogVersion, recorded as the
// document version, with dateReleased as the upstream modified time). The
// observation's Advisory is an empty record with the catalog id: it holds
// no CVE, so it never groups or matches; [FromObservation] parses the
// typed catalog back from the stored raw content.
package kev
