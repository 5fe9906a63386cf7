package advisory

import (
	"fmt"
	"strings"
)

// Rating is a qualitative severity: the CVSS rating of a base score, or
// unknown when nothing scores the finding. Scan reports, gate inputs, gate
// settings and exceptions all use this one scale.
type Rating string

// Ratings, lowest first. RatingUnknown is off the scale.
const (
	RatingNone     Rating = "none"
	RatingLow      Rating = "low"
	RatingMedium   Rating = "medium"
	RatingHigh     Rating = "high"
	RatingCritical Rating = "critical"
	RatingUnknown  Rating = "unknown"
)

// RatingFor rates a CVSS base score (the CVSS v3.1 and v4.0 qualitative
// scale): critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low ≥ 0.1, else none.
func RatingFor(score float64) Rating {
	switch {
	case score >= 9.0:
		return RatingCritical
	case score >= 7.0:
		return RatingHigh
	case score >= 4.0:
		return RatingMedium
	case score >= 0.1:
		return RatingLow
	}
	return RatingNone
}

// ParseRating reads a threshold typed by a person, such as " High ".
func ParseRating(s string) (Rating, error) {
	if r := Rating(strings.ToLower(strings.TrimSpace(s))); r.IsThreshold() {
		return r, nil
	}
	return "", fmt.Errorf("severity %q: want low, medium, high or critical", s)
}

// IsThreshold reports whether r can be a threshold: low, medium, high or
// critical. "none" would let everything through.
func (r Rating) IsThreshold() bool {
	switch r {
	case RatingLow, RatingMedium, RatingHigh, RatingCritical:
		return true
	}
	return false
}

// Rank places r on the scale: none 0 < low 1 < medium 2 < high 3 <
// critical 4. ok is false off the scale ("unknown", "", anything else).
func (r Rating) Rank() (rank int, ok bool) {
	switch r {
	case RatingNone:
		return 0, true
	case RatingLow:
		return 1, true
	case RatingMedium:
		return 2, true
	case RatingHigh:
		return 3, true
	case RatingCritical:
		return 4, true
	}
	return 0, false
}

// Judged is the rating r counts as: itself on the scale, critical off it.
// A finding nobody has scored is not known to be harmless, so checks fail
// closed.
func (r Rating) Judged() Rating {
	if _, ok := r.Rank(); ok {
		return r
	}
	return RatingCritical
}

// AtLeast reports whether r, judged, meets threshold; a threshold off the
// scale is met by everything.
func (r Rating) AtLeast(threshold Rating) bool {
	got, _ := r.Judged().Rank()
	want, _ := threshold.Rank()
	return got >= want
}
