package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/stella-ops/stella/advisory"
)

// WriteTable writes the findings as aligned columns for a terminal, then a
// one-line summary.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withVEX := false
	for _, f := range r.Findings {
		withVEX = withVEX || f.VEX != nil
	}
	header := "PACKAGE\tINSTALLED\tADVISORY\tSEVERITY\tFIXED IN\tALIASES"
	if withVEX {
		header += "\tVEX"
	}
	fmt.Fprintln(tw, header)
	for _, f := range r.Findings {
		sev := string(f.Severity.Rating)
		if f.Severity.Score != nil {
			sev = fmt.Sprintf("%s (%.1f)", sev, *f.Severity.Score)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s", f.Package, f.InstalledVersion, f.AdvisoryID, sev,
			dash(strings.Join(f.FixedVersions, ",")), dash(strings.Join(f.Aliases, ",")))
		if withVEX {
			fmt.Fprintf(tw, "\t%s", vexCell(f.VEX))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := r.Summary
	if withVEX {
		if _, err := fmt.Fprintf(w, "%d finding(s) suppressed by VEX (listed above, not counted by --fail-on)\n", s.Suppressed); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d finding(s) in %d package(s) against %d advisories: %d critical, %d high, %d medium, %d low, %d none, %d unknown; %d undecidable\n",
		s.Findings, s.Packages, s.Advisories, s.BySeverity[advisory.RatingCritical], s.BySeverity[advisory.RatingHigh],
		s.BySeverity[advisory.RatingMedium], s.BySeverity[advisory.RatingLow], s.BySeverity[advisory.RatingNone],
		s.BySeverity[advisory.RatingUnknown], s.Unmatched)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// vexCell is the VEX column: the status, "suppressed" and the justification.
func vexCell(v *VEX) string {
	if v == nil {
		return "-"
	}
	s := v.Status
	if v.Suppressed {
		s = "suppressed: " + s
	}
	if v.Justification != "" {
		s += " (" + v.Justification + ")"
	}
	if v.Conflict {
		s += " [conflict]"
	}
	return s
}
