package builtin

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/stella-ops/stella/gate"
)

// Built-in gate types (gate.md §2). The policy type is the engine's own
// (gate.TypePolicy): it needs the engine's prepared bundles.
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

// kind is one built-in type: its settings with default values and the
// factory that decodes settings over them.
type kind struct {
	defaults func() any
	factory  gate.Factory
}

func table() map[string]kind {
	return map[string]kind{
		TypeSecurityThresholds: bind(TypeSecurityThresholds, defaultSecuritySettings, newSecurityGate),
		TypeKEV:                bind(TypeKEV, defaultKEVSettings, newKEVGate),
		TypeEPSS:               bind(TypeEPSS, defaultEPSSSettings, newEPSSGate),
		TypeAggregate:          bind(TypeAggregate, defaultAggregateSettings, newAggregateGate),
		TypeCVEDelta:           bind(TypeCVEDelta, defaultCVEDeltaSettings, newCVEDeltaGate),
		TypeVEXTrust:           bind(TypeVEXTrust, defaultVEXTrustSettings, newVEXTrustGate),
		TypeFreezeWindow:       bind(TypeFreezeWindow, defaultFreezeSettings, newFreezeGate),
		TypeScheduleWindow:     bind(TypeScheduleWindow, defaultScheduleSettings, newScheduleGate),
		TypeApprovals:          bind(TypeApprovals, defaultApprovalsSettings, newApprovalsGate),
		TypeManual:             bind(TypeManual, defaultManualSettings, newManualGate),
	}
}

// Types returns a fresh registry of the built-in gate types, keyed by
// type name, for gate.WithTypes and gate.Config.Validate. Callers may add
// plugin types to it.
func Types() map[string]gate.Factory {
	out := map[string]gate.Factory{}
	for typ, b := range table() {
		out[typ] = b.factory
	}
	return out
}

// Defaults returns the default settings of a built-in type as plain JSON
// values (numbers float64), or nil for a type that is not built in; it is
// a gate.DefaultsFunc, for gate.WithDefaults. The tier is ignored:
// vex-trust has no minConfidence default here, and when unset it follows
// the target environment's tier at evaluation time.
func Defaults(typ, _ string) map[string]any {
	b, ok := table()[typ]
	if !ok {
		return nil
	}
	raw, err := json.Marshal(b.defaults())
	if err != nil {
		panic("builtin: defaults of " + typ + ": " + err.Error()) // static values
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		panic("builtin: defaults of " + typ + ": " + err.Error())
	}
	return out
}

// settingsValidator is a settings struct that can check its values.
type settingsValidator interface{ validate() error }

// bind binds a settings struct to its gate: the factory starts from the
// defaults, decodes the settings over them and validates the result.
func bind[S settingsValidator](typ string, defaults func() S, build func(base, S) gate.Gate) kind {
	return kind{
		defaults: func() any { return defaults() },
		factory: func(id string, settings map[string]any) (gate.Gate, error) {
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
			return build(base{id: id, typ: typ}, s), nil
		},
	}
}

// base carries the identity every built-in gate reports.
type base struct{ id, typ string }

func (b base) ID() string   { return b.id }
func (b base) Type() string { return b.typ }

// verdict accumulates a gate's worst status and its reason codes.
type verdict struct {
	typ    string
	status gate.Status
	codes  map[string]bool
}

func newVerdict(typ string) *verdict {
	return &verdict{typ: typ, status: gate.StatusPass, codes: map[string]bool{}}
}

// add raises the status to s (never lowers it) and records the reason.
func (v *verdict) add(s gate.Status, reason string) {
	if statusRank(s) > statusRank(v.status) {
		v.status = s
	}
	if reason != "" {
		v.codes[v.typ+"."+reason] = true
	}
}

func (v *verdict) result(message string, details map[string]any) gate.Result {
	codes := make([]string, 0, len(v.codes))
	for c := range v.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return gate.Result{Status: v.status, ReasonCodes: codes, Message: message, Details: details}
}

// statusRank orders statuses from harmless to blocking.
func statusRank(s gate.Status) int {
	switch s {
	case gate.StatusPass:
		return 0
	case gate.StatusWarn:
		return 1
	case gate.StatusPending:
		return 2
	}
	return 3
}

// sortedFindings returns pointers to fs in the order the input document
// declares (advisoryId, then purl), so details never depend on the order
// findings arrived in.
func sortedFindings(fs []gate.Finding) []*gate.Finding {
	out := make([]*gate.Finding, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	slices.SortFunc(out, func(a, b *gate.Finding) int { return gate.CompareFindings(*a, *b) })
	return out
}

// findingRef names a finding in details.
func findingRef(f *gate.Finding) map[string]any {
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

// sortedUnique returns the distinct non-empty strings of s, sorted, never
// nil, as the engine normalizes lists.
func sortedUnique(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
