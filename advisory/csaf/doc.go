// Package csaf reads CSAF 2.0 documents (csaf_security_advisory, csaf_vex,
// e.g. Red Hat's RHSA and VEX files) into advisory observations, one per
// document, and derives one OSV-shaped advisory per vulnerability.
//
//	obs, err := csaf.ReadFile("rhsa-2024_0154.json")
//	advs, err := csaf.Advisories(obs[0]) // one per CVE, from product_status
//
// Identity is document.tracking.id with tracking.version as the document
// version and current_release_date as modified. The source id is
// "csaf:<publisher>", the publisher being the host of
// document.publisher.namespace without "www." (e.g. "csaf:redhat.com").
//
// Only product_status is read as facts (advisory.md §1 rule 3). Each
// product id is resolved through the product tree (branches,
// full_product_names and relationships) to the purl of its
// product_identification_helper; products without a purl cannot be keyed
// and are not mapped (they stay in the raw content, their CPEs in
// hints.cpes). Per status, for the purl's version V:
//
//	fixed, first_fixed           ECOSYSTEM range introduced "0", fixed V
//	first_affected               introduced V
//	last_affected                introduced "0", last_affected V
//	known_affected,              V listed in versions; without V every
//	under_investigation          version (introduced "0"): fail closed
//	known_not_affected,          not mapped: nothing is affected
//	recommended
//
// Ecosystems: an rpm purl of namespace "redhat" under a relationship whose
// platform has a cpe:/…:redhat:… CPE gets OSV's "Red Hat:<cpe tail>" (e.g.
// "Red Hat:enterprise_linux:9::appstream"), otherwise "Red Hat"; a purl
// with a distro qualifier gets "Debian:12", "Alpine:v3.19", "AlmaLinux:9",
// "Rocky Linux:9"; language purls get their OSV ecosystem (npm, PyPI, Go,
// Maven, …); any other purl type is used as the ecosystem.
//
// A document usually covers several CVEs, so the observation's identifiers
// list the CVE as an alias only when the document has exactly one; the
// observation's Advisory then carries that CVE's affected entries,
// otherwise it is a document-level record (title, times, related = the CVE
// ids) with no affected entries. [Advisories] is the per-CVE view, and
// [Split] makes one observation per CVE for merges that read one advisory
// per observation.
package csaf
