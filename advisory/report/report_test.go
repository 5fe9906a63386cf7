package report_test

import (
	"testing"

	"github.com/stella-ops/stella/advisory/report"
)

func TestRatingForUsesTheCVSSBands(t *testing.T) {
	for _, tc := range []struct {
		score float64
		want  report.Rating
	}{
		{0, report.None}, {0.1, report.Low}, {3.9, report.Low}, {4.0, report.Medium},
		{6.9, report.Medium}, {7.0, report.High}, {8.9, report.High}, {9.0, report.Critical}, {10, report.Critical},
	} {
		if got := report.RatingFor(tc.score); got != tc.want {
			t.Errorf("RatingFor(%v) = %s, want %s", tc.score, got, tc.want)
		}
	}
}

func TestAtLeastFailsClosedOnUnknown(t *testing.T) {
	for _, tc := range []struct {
		r, threshold report.Rating
		want         bool
	}{
		{report.Critical, report.Critical, true},
		{report.High, report.Critical, false},
		{report.High, report.High, true},
		{report.Medium, report.Low, true},
		{report.None, report.Low, false},
		{report.Unknown, report.Critical, true}, // unscored is not known to be harmless
	} {
		if got := tc.r.AtLeast(tc.threshold); got != tc.want {
			t.Errorf("%s.AtLeast(%s) = %v, want %v", tc.r, tc.threshold, got, tc.want)
		}
	}
	if _, err := report.ParseRating("none"); err == nil {
		t.Error(`ParseRating("none") is not a threshold`)
	}
	if r, err := report.ParseRating(" HIGH "); err != nil || r != report.High {
		t.Errorf(`ParseRating(" HIGH ") = %q, %v`, r, err)
	}
}
