package version

import (
	"errors"
	"strings"

	"golang.org/x/mod/semver"
)

// parseGo accepts a Go module version with or without its leading "v"
// (OSV's Go ecosystem omits it). Pseudo-versions are prereleases and order
// by base then timestamp; "+incompatible" is build metadata and ignored.
func parseGo(s string) (any, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "v") {
		s = "v" + s
	}
	if !semver.IsValid(s) {
		return nil, errors.New("not a Go module version")
	}
	return s, nil
}

func cmpGo(a, b any) int { return semver.Compare(a.(string), b.(string)) }
