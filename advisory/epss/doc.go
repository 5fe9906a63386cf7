// Package epss reads FIRST's EPSS daily score files (epss_scores-YYYY-MM-DD.csv,
// plain or gzip) — exploit-prediction scores per CVE. EPSS is enrichment: it
// attaches to a CVE and never takes part in source precedence. Scores keep
// their model version and score date so that a decision can be replayed.
//
//	file, err := epss.Parse(gz)      // file.Scores sorted by CVE, rounded to 6 decimals
//	scores := file.Map()             // CVE → advisory.EPSS
//
// [Read] wraps one daily file as one observation: upstream id is the score
// date (YYYY-MM-DD), document version the model version, modified the score
// time. The raw content is the decompressed CSV exactly as given; the
// content hash is "sha256:" of those bytes with CRLF turned into LF. The
// observation's Advisory is an empty record: it holds no CVE, so it never
// groups or matches; [FromObservation] parses the scores back from the raw
// content.
package epss
