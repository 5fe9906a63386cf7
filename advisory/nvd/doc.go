// Package nvd reads NVD CVE API 2.0 JSON (an API response page or a feed
// file with "vulnerabilities[].cve") into advisory observations, one per CVE.
//
//	obs, err := nvd.Read(resp.Body)
//	matches := obs[0].Hints.CPEs // the vulnerable CPE criteria, as NVD gives them
//
// Mapping into the OSV-shaped model:
//   - id is cve.id; details is the English description; published and
//     modified are NVD's (zone-less NVD timestamps are UTC).
//   - vulnStatus "Rejected" sets withdrawn to lastModified.
//   - metrics: per CVSS version the "Primary" metric is preferred, else the
//     first; v4.0 → CVSS_V4, v3.1/v3.0 → CVSS_V3 (base score computed, never
//     copied), v2 → CVSS_V2 (kept, unscored).
//   - references: tag "Patch" → FIX, "Exploit" → EVIDENCE, "Vendor Advisory"
//     or "Third Party Advisory" → ADVISORY, "Issue Tracking" → REPORT,
//     anything else → WEB.
//   - configurations: every vulnerable cpeMatch becomes part of an affected
//     entry with package ecosystem [Ecosystem] ("CPE") and name
//     "<vendor>:<product>" (the spec's cpe:<vendor>:<product> package key).
//     A version range becomes one ECOSYSTEM range: versionStartIncluding →
//     introduced (else introduced "0"), versionEndExcluding → fixed,
//     versionEndIncluding → last_affected. OSV has no exclusive lower bound,
//     so versionStartExcluding X becomes introduced X: the range widens by
//     the single version X, and the exact bound stays in the raw content and
//     in [Matches]. A criteria with a concrete version and no range becomes
//     an entry of versions. "CPE" is not a version scheme, so these entries
//     never match SBOM components by themselves: they are join data for CPE
//     matching. Non-vulnerable matches (platforms in AND nodes) are not
//     mapped.
//   - hints.cpes lists each vulnerable criteria exactly as given, sorted and
//     deduplicated.
package nvd
