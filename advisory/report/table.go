package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the findings as aligned columns for a terminal, then a
// one-line summary.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tINSTALLED\tADVISORY\tSEVERITY\tFIXED IN\tALIASES")
	for _, f := range r.Findings {
		sev := string(f.Severity.Rating)
		if f.Severity.Score != nil {
			sev = fmt.Sprintf("%s (%.1f)", sev, *f.Severity.Score)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Package, f.InstalledVersion, f.AdvisoryID, sev,
			dash(strings.Join(f.FixedVersions, ",")), dash(strings.Join(f.Aliases, ",")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := r.Summary
	_, err := fmt.Fprintf(w, "%d finding(s) in %d package(s) against %d advisories: %d critical, %d high, %d medium, %d low, %d none, %d unknown; %d undecidable\n",
		s.Findings, s.Packages, s.Advisories, s.BySeverity[Critical], s.BySeverity[High], s.BySeverity[Medium],
		s.BySeverity[Low], s.BySeverity[None], s.BySeverity[Unknown], s.Unmatched)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
