package gate

import "github.com/stella-ops/stella/advisory"

// Severity labels, lowest first (gate.md §2).
const (
	SeverityNone     = "none"
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
	// SeverityUnknown labels a finding no source has scored. It is off
	// the scale and judged as critical.
	SeverityUnknown = "unknown"
)

// SeverityRank orders severity labels: none 0 < low 1 < medium 2 < high 3
// < critical 4. ok is false for anything else.
func SeverityRank(label string) (rank int, ok bool) {
	switch label {
	case SeverityNone:
		return 0, true
	case SeverityLow:
		return 1, true
	case SeverityMedium:
		return 2, true
	case SeverityHigh:
		return 3, true
	case SeverityCritical:
		return 4, true
	}
	return 0, false
}

// SeverityAtLeast reports whether label meets threshold. A label off the
// scale ("unknown", "") meets every threshold: a finding nobody has scored
// is not known to be harmless, and gates fail closed.
func SeverityAtLeast(label, threshold string) bool {
	t, _ := SeverityRank(threshold)
	return judgedRank(label) >= t
}

// judgedRank ranks a label for judging: off the scale ranks as critical.
func judgedRank(label string) int {
	if r, ok := SeverityRank(label); ok {
		return r
	}
	return 4
}

// findingSeverity is the label gates judge a finding by: its severity (an
// exception downgrade is already applied to it), else the label of its
// CVSS score, else "unknown".
func findingSeverity(f *Finding) string {
	if _, ok := SeverityRank(f.Severity); ok {
		return f.Severity
	}
	if f.CVSS != nil {
		return advisory.SeverityLabel(*f.CVSS)
	}
	return SeverityUnknown
}

// checkThreshold validates a severity threshold setting.
func checkThreshold(setting, v string) error {
	switch v {
	case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return nil
	}
	return settingErr(setting, "%q is not a severity; want low, medium, high or critical", v)
}
