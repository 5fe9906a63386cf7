package vex

// Source-to-normalized mappings of vex.md §2.1 and §2.2. A source value
// missing from a map is not a statement (CSAF "recommended") or unknown.

var openVEXStatus = map[string]Status{
	"affected":            StatusAffected,
	"not_affected":        StatusNotAffected,
	"fixed":               StatusFixed,
	"under_investigation": StatusUnderInvestigation,
}

var csafStatus = map[string]Status{
	"known_affected":      StatusAffected,
	"first_affected":      StatusAffected,
	"last_affected":       StatusAffected,
	"known_not_affected":  StatusNotAffected,
	"fixed":               StatusFixed,
	"first_fixed":         StatusFixed,
	"under_investigation": StatusUnderInvestigation,
}

var cycloneDXStatus = map[string]Status{
	"exploitable":            StatusAffected,
	"not_affected":           StatusNotAffected,
	"false_positive":         StatusNotAffected,
	"resolved":               StatusFixed,
	"resolved_with_pedigree": StatusFixed,
	"in_triage":              StatusUnderInvestigation,
}

// openVEXJustification also serves CSAF, whose flag labels use the same names.
var openVEXJustification = map[string]Justification{
	string(JustificationComponentNotPresent):           JustificationComponentNotPresent,
	string(JustificationCodeNotPresent):                JustificationCodeNotPresent,
	string(JustificationCodeNotInExecutePath):          JustificationCodeNotInExecutePath,
	string(JustificationCodeCannotBeControlled):        JustificationCodeCannotBeControlled,
	string(JustificationInlineMitigationsAlreadyExist): JustificationInlineMitigationsAlreadyExist,
}

var cycloneDXJustification = map[string]Justification{
	"requires_dependency":             JustificationComponentNotPresent,
	"code_not_present":                JustificationCodeNotPresent,
	"code_not_reachable":              JustificationCodeNotInExecutePath,
	"requires_configuration":          JustificationCodeCannotBeControlled,
	"requires_environment":            JustificationCodeCannotBeControlled,
	"protected_by_compiler":           JustificationInlineMitigationsAlreadyExist,
	"protected_at_runtime":            JustificationInlineMitigationsAlreadyExist,
	"protected_at_perimeter":          JustificationInlineMitigationsAlreadyExist,
	"protected_by_mitigating_control": JustificationInlineMitigationsAlreadyExist,
}
