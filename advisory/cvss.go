package advisory

import (
	"fmt"
	cvss40 "github.com/pandatix/go-cvss/40"
	"math"
	"strings"
)

// CVSSVector is a parsed CVSS vector: its version ("3.0", "3.1", "4.0") and
// metric values by abbreviation.
type CVSSVector struct {
	Version string
	Metrics map[string]string
	Raw     string // the vector as given
}

// cvssMetricValues lists, per version, every metric the vector may carry
// with its allowed values; required marks the base metrics.
type cvssMetric struct {
	values   string // allowed values, one letter each
	required bool
}

func cvss3Metrics() map[string]cvssMetric {
	return map[string]cvssMetric{
		"AV": {"NALP", true}, "AC": {"LH", true}, "PR": {"NLH", true}, "UI": {"NR", true},
		"S": {"UC", true}, "C": {"HLN", true}, "I": {"HLN", true}, "A": {"HLN", true},
		// Temporal and environmental metrics are accepted but do not change the base score.
		"E": {"XUPFH", false}, "RL": {"XOTWU", false}, "RC": {"XURC", false},
		"CR": {"XLMH", false}, "IR": {"XLMH", false}, "AR": {"XLMH", false},
		"MAV": {"XNALP", false}, "MAC": {"XLH", false}, "MPR": {"XNLH", false},
		"MUI": {"XNR", false}, "MS": {"XUC", false},
		"MC": {"XHLN", false}, "MI": {"XHLN", false}, "MA": {"XHLN", false},
	}
}

func cvss4Metrics() map[string]cvssMetric {
	return map[string]cvssMetric{
		"AV": {"NALP", true}, "AC": {"LH", true}, "AT": {"NP", true}, "PR": {"NLH", true},
		"UI": {"NPA", true}, "VC": {"HLN", true}, "VI": {"HLN", true}, "VA": {"HLN", true},
		"SC": {"HLN", true}, "SI": {"HLN", true}, "SA": {"HLN", true},
		"E": {"XAPU", false}, "CR": {"XHML", false}, "IR": {"XHML", false}, "AR": {"XHML", false},
		"MAV": {"XNALP", false}, "MAC": {"XLH", false}, "MAT": {"XNP", false},
		"MPR": {"XNLH", false}, "MUI": {"XNPA", false},
		"MVC": {"XHLN", false}, "MVI": {"XHLN", false}, "MVA": {"XHLN", false},
		"MSC": {"XHLN", false}, "MSI": {"XSHLN", false}, "MSA": {"XSHLN", false},
		"S": {"XNP", false}, "AU": {"XNY", false}, "R": {"XAUI", false},
		"V": {"XDC", false}, "RE": {"XLMH", false}, "U": {"X", false},
	}
}

// ParseCVSS parses and validates a CVSS v3.0, v3.1 or v4.0 vector: known
// metrics only, each at most once, allowed values, all base metrics present.
func ParseCVSS(vector string) (CVSSVector, error) {
	head, rest, ok := strings.Cut(vector, "/")
	if !ok || !strings.HasPrefix(head, "CVSS:") {
		return CVSSVector{}, fmt.Errorf("cvss: vector %q: missing CVSS:<version>/ prefix", vector)
	}
	v := CVSSVector{Version: strings.TrimPrefix(head, "CVSS:"), Metrics: map[string]string{}, Raw: vector}
	var known map[string]cvssMetric
	switch v.Version {
	case "3.0", "3.1":
		known = cvss3Metrics()
	case "4.0":
		known = cvss4Metrics()
	default:
		return CVSSVector{}, fmt.Errorf("cvss: vector %q: unsupported version %q", vector, v.Version)
	}
	for part := range strings.SplitSeq(rest, "/") {
		name, val, ok := strings.Cut(part, ":")
		m, isKnown := known[name]
		switch {
		case !ok:
			return CVSSVector{}, fmt.Errorf("cvss: vector %q: malformed metric %q", vector, part)
		case !isKnown:
			return CVSSVector{}, fmt.Errorf("cvss: vector %q: unknown metric %q", vector, name)
		case len(val) != 1 || !strings.Contains(m.values, val):
			return CVSSVector{}, fmt.Errorf("cvss: vector %q: metric %s has invalid value %q", vector, name, val)
		}
		if _, dup := v.Metrics[name]; dup {
			return CVSSVector{}, fmt.Errorf("cvss: vector %q: metric %s given twice", vector, name)
		}
		v.Metrics[name] = val
	}
	for name, m := range known {
		if _, ok := v.Metrics[name]; m.required && !ok {
			return CVSSVector{}, fmt.Errorf("cvss: vector %q: missing base metric %s", vector, name)
		}
	}
	return v, nil
}

// BaseScore returns the base score of the vector per the FIRST
// specification: for v3.x by its formula (v3.1 §7.1 and its Appendix A
// Roundup; v3.0 rounds up to one decimal), for v4.0 through pandatix/go-cvss,
// which implements the MacroVector lookup tables of the v4.0 calculator.
func (v CVSSVector) BaseScore() (float64, error) {
	if v.Version == "4.0" {
		c, err := cvss40.ParseVector(v.Raw)
		if err != nil {
			return 0, fmt.Errorf("cvss: vector %q: %w", v.Raw, err)
		}
		return c.Score(), nil
	}
	if v.Version != "3.0" && v.Version != "3.1" {
		return 0, fmt.Errorf("cvss: base score for CVSS %s is not implemented", v.Version)
	}
	m := v.Metrics
	scopeChanged := m["S"] == "C"
	av := map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m["AV"]]
	ac := map[string]float64{"L": 0.77, "H": 0.44}[m["AC"]]
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}[m["PR"]]
	if scopeChanged { // privileges matter more when the impact crosses scope
		pr = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}[m["PR"]]
	}
	ui := map[string]float64{"N": 0.85, "R": 0.62}[m["UI"]]
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	iss := 1 - (1-cia[m["C"]])*(1-cia[m["I"]])*(1-cia[m["A"]])
	impact := 6.42 * iss
	if scopeChanged {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0, nil
	}
	exploitability := 8.22 * av * ac * pr * ui
	sum := impact + exploitability
	if scopeChanged {
		sum *= 1.08
	}
	round := roundUp31
	if v.Version == "3.0" {
		round = func(x float64) float64 { return math.Ceil(x*10) / 10 }
	}
	return round(math.Min(sum, 10)), nil
}

// roundUp31 is CVSS v3.1 Appendix A Roundup: the smallest one-decimal number
// not below x, computed on integers so that float noise (e.g. 4.000000001)
// does not bump the score.
func roundUp31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// ScoreSeverity parses s.Score and sets s.BaseScore. The type must agree
// with the vector's version.
func ScoreSeverity(s *Severity) error {
	v, err := ParseCVSS(s.Score)
	if err != nil {
		return err
	}
	want := map[SeverityType]string{CVSSv3: "3", CVSSv4: "4"}[s.Type]
	if want == "" || !strings.HasPrefix(v.Version, want+".") {
		return fmt.Errorf("cvss: severity type %s does not match vector version %s", s.Type, v.Version)
	}
	score, err := v.BaseScore()
	if err != nil && v.Version == "4.0" {
		// A valid v4.0 vector the calculator cannot score (e.g. metrics
		// out of the specification's order) stays unscored rather than
		// making the advisory unreadable.
		s.BaseScore = nil
		return nil
	}
	if err != nil {
		return err
	}
	s.BaseScore = &score
	return nil
}
