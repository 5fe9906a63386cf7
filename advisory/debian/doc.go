// Package debian reads the Debian security tracker JSON
// (https://security-tracker.debian.org/tracker/data/json) into advisory
// observations, one per (source package, CVE).
//
//	obs, err := debian.ReadFile("debian.json")
//	advs := debian.Advisories(obs)
//
// The tracker is keyed by source package: {package: {CVE: {description,
// releases: {codename: {status, fixed_version, urgency, nodsa, …}}}}}. Each
// (package, CVE) entry becomes one observation whose upstream id is
// "<package>/<CVE>", whose primary identifier is the CVE (or the tracker's
// TEMP- id), and whose raw content is {package: {CVE: entry}} — itself a
// tracker document, so Read of the raw content gives the same observation.
//
// Per release, in the OSV ecosystem "Debian:<number>" (buster 10, bullseye
// 11, bookworm 12, trixie 13, forky 14) with the source package name:
//   - resolved with fixed_version X: ECOSYSTEM range introduced "0", fixed X;
//   - resolved with fixed_version "0": never affected — the release is
//     left out (an affected entry without ranges would mean "every version");
//   - open or undetermined: ECOSYSTEM range introduced "0" with no fix
//     (undetermined counts as affected: fail closed).
//
// Releases without an OSV number (sid, experimental) are not mapped; they
// stay in the raw content. urgency and nodsa are not severities and are
// not mapped either; the tracker has no timestamps, so modified is zero.
package debian
