// Package alpine reads Alpine secdb JSON (https://secdb.alpinelinux.org,
// e.g. v3.19/main.json) into advisory observations, one per (branch, origin
// package), and derives one OSV-shaped advisory per vulnerability id.
//
//	obs, err := alpine.ReadFile("v3.19/main.json")
//	advs, err := alpine.Advisories(obs[0]) // one per CVE, Alpine:v3.19 ranges
//
// secdb is keyed by origin package: {distroversion, packages: [{pkg: {name,
// secfixes: {version: [ids]}}}]}. Each package becomes one observation with
// upstream id and primary identifier "<distroversion>/<name>" (e.g.
// "v3.19/openssl"); its raw content is the secdb document holding only that
// package, so Read of the raw content gives the same observation.
//
// An observation covers many vulnerabilities, so its Advisory is a
// package-level record: id "<distroversion>/<name>", related = the ids, and
// no affected entries (it never matches by itself). [Advisories] gives the
// per-vulnerability view: for id I listed under fixed version X, an advisory
// I with package {ecosystem "Alpine:<distroversion>", name} and an ECOSYSTEM
// range introduced "0", fixed X. Version "0" means never affected: the id
// gets an advisory with no affected entries. Secfix entries are split on
// whitespace and each token kept if it looks like an id (CVE-2024-1234,
// GHSA-…, XSA-123, ALPINE-12345); other tokens (comments) are dropped.
//
// A merge that groups observations by primary identifier and reads one
// advisory per observation sees no Alpine ranges in the package-level
// record: [Split] turns each package observation into one observation per
// id ("<distroversion>/<name>/<id>") carrying that id's advisory.
package alpine
