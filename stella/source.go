package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/oci"
)

// parseSource reads a SOURCE argument: "dir:PATH", "file:PATH",
// "oci-dir:PATH", "oci-archive:PATH", "docker-archive:PATH", "registry:REF",
// "docker:REF" (the local Docker daemon), or a plain path to a directory or
// a file. The SDK builds the same sources with sbom.Dir, sbom.File and the
// constructors of sbom/oci.
func parseSource(s string) (sbom.Source, error) {
	if s == "" {
		return nil, fmt.Errorf("sbom: empty source")
	}
	if scheme, rest, ok := strings.Cut(s, ":"); ok {
		if rest == "" {
			return nil, fmt.Errorf("sbom: source %q names nothing after %q", s, scheme+":")
		}
		switch scheme {
		case "dir":
			return sbom.Dir(rest), nil
		case "file":
			return sbom.File(rest), nil
		case "oci-dir":
			return oci.Layout(rest), nil
		case "oci-archive":
			return oci.Archive(rest), nil
		case "docker-archive":
			return oci.DockerArchive(rest), nil
		case "registry":
			return oci.Registry(rest), nil
		case "docker":
			return oci.Daemon(rest), nil
		}
	}
	fi, err := os.Stat(s)
	if err != nil {
		return nil, fmt.Errorf("sbom: source %q is neither a known scheme (dir:, file:, oci-dir:, oci-archive:, docker-archive:, registry:, docker:) nor an existing path: %w", s, err)
	}
	if fi.IsDir() {
		return sbom.Dir(s), nil
	}
	return sbom.File(s), nil
}
