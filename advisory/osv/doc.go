// Package osv reads OSV (Open Source Vulnerability, schema 1.x) records —
// the format of the Go vulnerability database, GHSA, PyPI, RustSec, npm,
// AlmaLinux and others — into advisory observations. It reads one JSON
// document, a directory of *.json files or a zip archive of them.
//
//	obs, err := osv.ReadPath("vulndb/data/osv")
//	advs := osv.Advisories(obs)
//
// Records are validated against the schema's required fields and value
// shapes; unknown fields are accepted and kept in the raw content.
package osv
