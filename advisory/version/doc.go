// Package version compares package versions with each ecosystem's own rules:
// SemVer 2.0 (npm, crates.io), Go modules, PEP 440, Maven, NuGet, RubyGems,
// Composer, dpkg, RPM and apk. A distro version is never compared with a
// generic semver library, and an unknown ecosystem is an error, never a
// silent fallback.
//
//	s, _ := version.ForEcosystem("Debian:12") // dpkg rules
//	c, err := version.CompareStrings(s, "3.0.11-1~deb12u1", "3.0.11-1") // c < 0
package version
