package advisory_test

import (
	"testing"

	"github.com/stella-ops/stella/advisory"
)

func TestRatingForUsesTheCVSSBands(t *testing.T) {
	for _, tc := range []struct {
		score float64
		want  advisory.Rating
	}{
		{0, advisory.RatingNone}, {0.1, advisory.RatingLow}, {3.9, advisory.RatingLow}, {4.0, advisory.RatingMedium},
		{6.9, advisory.RatingMedium}, {7.0, advisory.RatingHigh}, {8.9, advisory.RatingHigh},
		{9.0, advisory.RatingCritical}, {10, advisory.RatingCritical},
	} {
		if got := advisory.RatingFor(tc.score); got != tc.want {
			t.Errorf("RatingFor(%v) = %s, want %s", tc.score, got, tc.want)
		}
	}
}

func TestRatingRankOrdersTheScale(t *testing.T) {
	for i, r := range []advisory.Rating{"none", "low", "medium", "high", "critical"} {
		if got, ok := r.Rank(); !ok || got != i {
			t.Errorf("%q.Rank() = %d, %v; want %d", r, got, ok, i)
		}
	}
	for _, r := range []advisory.Rating{"unknown", "", "High"} {
		if _, ok := r.Rank(); ok {
			t.Errorf("%q.Rank() ok; it is off the scale", r)
		}
	}
}

func TestAtLeastFailsClosedOffTheScale(t *testing.T) {
	for _, tc := range []struct {
		r, threshold advisory.Rating
		want         bool
	}{
		{"critical", "critical", true},
		{"high", "critical", false},
		{"high", "high", true},
		{"medium", "low", true},
		{"none", "low", false},
		{"unknown", "critical", true}, // unscored is not known to be harmless
		{"", "critical", true},
	} {
		if got := tc.r.AtLeast(tc.threshold); got != tc.want {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", tc.r, tc.threshold, got, tc.want)
		}
	}
}

func TestParseRatingReadsThresholdsOnly(t *testing.T) {
	for _, s := range []string{"none", "unknown", "", "severe"} {
		if _, err := advisory.ParseRating(s); err == nil {
			t.Errorf("ParseRating(%q): %q is not a threshold", s, s)
		}
	}
	if r, err := advisory.ParseRating(" HIGH "); err != nil || r != advisory.RatingHigh {
		t.Errorf(`ParseRating(" HIGH ") = %q, %v`, r, err)
	}
}
