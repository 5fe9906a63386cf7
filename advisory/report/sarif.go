package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/stella-ops/stella/advisory"
)

// SARIF 2.1.0, the subset code-scanning tools read. One rule per advisory,
// one result per finding; the location is the package purl as a logical
// location, since a finding is about a package, not a line of a file.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://stella-ops.org"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool         `json:"tool"`
	Results    []sarifResult     `json:"results"`
	Properties map[string]string `json:"properties"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	HelpURI          string         `json:"helpUri,omitempty"`
	Properties       map[string]any `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

// sarifSuppression records a finding suppressed outside the code: by VEX.
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a rating to a SARIF level: critical and high are errors,
// medium and unknown are warnings, low and none are notes.
func sarifLevel(r advisory.Rating) string {
	switch r {
	case advisory.RatingCritical, advisory.RatingHigh:
		return "error"
	case advisory.RatingLow, advisory.RatingNone:
		return "note"
	}
	return "warning"
}

// WriteSARIF writes the report as one SARIF 2.1.0 run of the "stella" tool.
func (r *Report) WriteSARIF(w io.Writer, toolVersion string) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "stella", Version: toolVersion, InformationURI: toolURI, Rules: []sarifRule{},
		}},
		Results:    make([]sarifResult, 0, len(r.Findings)),
		Properties: map[string]string{"source": r.Source, "sbomContentDigest": r.SBOMContentDigest},
	}
	ruleIndex := map[string]int{}
	for _, f := range r.Findings { // sorted by advisory id, so rules are too
		idx, ok := ruleIndex[f.AdvisoryID]
		if !ok {
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[f.AdvisoryID] = idx
			rule := r.rules[f.AdvisoryID]
			desc := rule.Summary
			if desc == "" {
				desc = f.AdvisoryID
			}
			props := map[string]any{"tags": []string{"security", "vulnerability"}, "aliases": f.Aliases}
			if f.Severity.Score != nil {
				// GitHub code scanning reads this score to rank alerts.
				props["security-severity"] = fmt.Sprintf("%.1f", *f.Severity.Score)
			}
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
				ID: f.AdvisoryID, ShortDescription: sarifText{desc}, HelpURI: rule.HelpURI, Properties: props,
			})
		}
		fixed := "no fixed version is known"
		if len(f.FixedVersions) > 0 {
			fixed = "fixed in " + strings.Join(f.FixedVersions, ", ")
		}
		res := sarifResult{
			RuleID:    f.AdvisoryID,
			RuleIndex: idx,
			Level:     sarifLevel(f.Severity.Rating),
			Message: sarifText{fmt.Sprintf("%s %s is affected by %s (severity %s; %s): %s",
				f.Package, f.InstalledVersion, f.AdvisoryID, f.Severity.Rating, fixed, f.Evidence.Decision)},
			Locations: []sarifLocation{{LogicalLocations: []sarifLogical{{FullyQualifiedName: f.PURL, Kind: "package"}}}},
			// Stable across scans, so dashboards track one alert per pair.
			PartialFingerprints: map[string]string{"stella/finding/v1": f.AdvisoryID + "|" + f.PURL},
		}
		if v := f.VEX; v != nil {
			res.Properties = map[string]any{"vex": v}
			if v.Suppressed {
				just := "VEX " + v.Status
				if v.Justification != "" {
					just += ": " + v.Justification
				}
				res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: just}}
			}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}
