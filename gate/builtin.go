package gate

import (
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// Built-in gate types (gate.md §2). The policy type lives in gate/policy.
const (
	TypeSecurityThresholds = "security-thresholds"
	TypeKEV                = "kev"
	TypeEPSS               = "epss"
	TypeAggregate          = "aggregate"
	TypeCVEDelta           = "cve-delta"
	TypeVEXTrust           = "vex-trust"
	TypeFreezeWindow       = "freeze-window"
	TypeScheduleWindow     = "schedule-window"
	TypeApprovals          = "approvals"
	TypeManual             = "manual"
)

// builtinType is one built-in: its settings with default values and the
// factory that decodes settings over them.
type builtinType struct {
	defaults func() any
	factory  Factory
}

func builtinTable() map[string]builtinType {
	return map[string]builtinType{
		TypeSecurityThresholds: builtin(TypeSecurityThresholds, defaultSecuritySettings, newSecurityGate),
		TypeKEV:                builtin(TypeKEV, defaultKEVSettings, newKEVGate),
		TypeEPSS:               builtin(TypeEPSS, defaultEPSSSettings, newEPSSGate),
		TypeAggregate:          builtin(TypeAggregate, defaultAggregateSettings, newAggregateGate),
		TypeCVEDelta:           builtin(TypeCVEDelta, defaultCVEDeltaSettings, newCVEDeltaGate),
		TypeVEXTrust:           builtin(TypeVEXTrust, defaultVEXTrustSettings, newVEXTrustGate),
		TypeFreezeWindow:       builtin(TypeFreezeWindow, defaultFreezeSettings, newFreezeGate),
		TypeScheduleWindow:     builtin(TypeScheduleWindow, defaultScheduleSettings, newScheduleGate),
		TypeApprovals:          builtin(TypeApprovals, defaultApprovalsSettings, newApprovalsGate),
		TypeManual:             builtin(TypeManual, defaultManualSettings, newManualGate),
	}
}

// Builtins returns a fresh registry of the built-in gate types, keyed by
// type name. Callers may add plugin types to it.
func Builtins() map[string]Factory {
	out := map[string]Factory{}
	for typ, b := range builtinTable() {
		out[typ] = b.factory
	}
	return out
}

// Defaults returns the default settings of a built-in type as plain JSON
// values (numbers float64), or nil for a type that is not built in.
// vex-trust has no minConfidence default here: when unset it follows the
// target environment's tier at evaluation time.
func Defaults(typ string) map[string]any {
	b, ok := builtinTable()[typ]
	if !ok {
		return nil
	}
	raw, err := json.Marshal(b.defaults())
	if err != nil {
		panic("gate: defaults of " + typ + ": " + err.Error()) // static values
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		panic("gate: defaults of " + typ + ": " + err.Error())
	}
	return out
}

// settingsValidator is a settings struct that can check its values.
type settingsValidator interface{ validate() error }

// builtin binds a settings struct to its gate: the factory starts from
// the defaults, decodes the settings over them and validates the result.
func builtin[S settingsValidator](typ string, defaults func() S, build func(builtinBase, S) Gate) builtinType {
	return builtinType{
		defaults: func() any { return defaults() },
		factory: func(id string, settings map[string]any) (Gate, error) {
			if id == "" {
				return nil, &SettingError{Type: typ, Problem: "gate id is required"}
			}
			s := defaults()
			if err := decodeSettings(typ, settings, &s); err != nil {
				return nil, err
			}
			if err := s.validate(); err != nil {
				var se *SettingError
				if errors.As(err, &se) && se.Type == "" {
					se.Type = typ
				}
				return nil, err
			}
			return build(builtinBase{id: id, typ: typ}, s), nil
		},
	}
}

// builtinBase carries the identity every built-in gate reports.
type builtinBase struct{ id, typ string }

func (b builtinBase) ID() string   { return b.id }
func (b builtinBase) Type() string { return b.typ }

// verdict accumulates a gate's worst status and its reason codes.
type verdict struct {
	typ    string
	status Status
	codes  map[string]bool
}

func newVerdict(typ string) *verdict {
	return &verdict{typ: typ, status: StatusPass, codes: map[string]bool{}}
}

// add raises the status to s (never lowers it) and records the reason.
func (v *verdict) add(s Status, reason string) {
	if statusRank(s) > statusRank(v.status) {
		v.status = s
	}
	if reason != "" {
		v.codes[v.typ+"."+reason] = true
	}
}

func (v *verdict) result(message string, details map[string]any) Result {
	codes := make([]string, 0, len(v.codes))
	for c := range v.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return Result{Status: v.status, ReasonCodes: codes, Message: message, Details: details}
}

// statusRank orders statuses from harmless to blocking.
func statusRank(s Status) int {
	switch s {
	case StatusPass:
		return 0
	case StatusWarn:
		return 1
	case StatusPending:
		return 2
	}
	return 3
}

// sortedFindings returns pointers to fs in the order the input document
// declares (advisoryId, then purl), so details never depend on the order
// findings arrived in.
func sortedFindings(fs []Finding) []*Finding {
	out := make([]*Finding, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	slices.SortFunc(out, compareFindings)
	return out
}

func compareFindings(a, b *Finding) int { return findingOrder(*a, *b) }

// findingRef names a finding in details.
func findingRef(f *Finding) map[string]any {
	return map[string]any{
		"advisoryId": f.AdvisoryID,
		"component":  f.Component.Name,
		"purl":       f.Component.Purl,
		"severity":   string(findingSeverity(f)),
	}
}

// utc formats a time for details: RFC 3339 in UTC.
func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// anyList turns refs into a details list; callers build refs in a sorted
// order.
func anyList(refs []map[string]any) []any {
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = r
	}
	return out
}
