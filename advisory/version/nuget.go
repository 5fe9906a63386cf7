package version

import "errors"

// parseNuGet reads NuGet's SemVer 2 with one to four numeric parts; the
// prerelease label is compared case-insensitively and metadata is ignored.
func parseNuGet(s string) (any, error) {
	v, err := parseSemVer(s, true)
	if err != nil {
		return nil, err
	}
	if len(v.core) > 4 {
		return nil, errors.New("more than four numeric parts")
	}
	return v, nil
}

func cmpNuGet(x, y any) int { return cmpSemVerAny(x, y) }
