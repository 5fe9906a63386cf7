package report_test

import (
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/report"
)

func TestAtLeastCountsUnscoredAndSkipsSuppressed(t *testing.T) {
	finding := func(id string, r advisory.Rating, suppressed bool) report.Finding {
		f := report.Finding{AdvisoryID: id, Severity: report.Severity{Rating: r}}
		if suppressed {
			f.VEX = &report.VEX{Status: "not_affected", Suppressed: true}
		}
		return f
	}
	rep := &report.Report{Findings: []report.Finding{
		finding("A", advisory.RatingCritical, false),
		finding("B", advisory.RatingMedium, false),
		finding("C", advisory.RatingUnknown, false),
		finding("D", advisory.RatingCritical, true),
	}}
	var got []string
	for _, f := range rep.AtLeast(advisory.RatingHigh) {
		got = append(got, f.AdvisoryID)
	}
	if len(got) != 2 || got[0] != "A" || got[1] != "C" {
		t.Errorf("AtLeast(high) = %v, want [A C]: unscored counts, suppressed does not", got)
	}
}
