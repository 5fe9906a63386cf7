package builtin

import (
	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
)

// findingSeverity is the rating gates judge a finding by: its severity (an
// exception downgrade is already applied to it), else the rating of its
// CVSS score, else unknown (which advisory.Rating judges as critical).
func findingSeverity(f *gate.Finding) advisory.Rating {
	if _, ok := f.Severity.Rank(); ok {
		return f.Severity
	}
	if f.CVSS != nil {
		return advisory.RatingFor(*f.CVSS)
	}
	return advisory.RatingUnknown
}

// checkThreshold validates a severity threshold setting.
func checkThreshold(setting string, v advisory.Rating) error {
	if v.IsThreshold() {
		return nil
	}
	return settingErr(setting, "%q is not a severity; want low, medium, high or critical", v)
}
