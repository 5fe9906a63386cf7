package builtin

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
)

var testCutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTestGate builds a built-in gate through the public registry.
func newTestGate(t *testing.T, typ string, settings map[string]any) gate.Gate {
	t.Helper()
	f, ok := Types()[typ]
	if !ok {
		t.Fatalf("no built-in type %q", typ)
	}
	g, err := f(typ, settings)
	if err != nil {
		t.Fatalf("%s factory: %v", typ, err)
	}
	if g.ID() != typ || g.Type() != typ {
		t.Fatalf("gate id/type = %q/%q, want %q", g.ID(), g.Type(), typ)
	}
	return g
}

// evaluate runs g and checks what every built-in result must satisfy.
func evaluate(t *testing.T, g gate.Gate, in *gate.Input) gate.Result {
	t.Helper()
	r, err := g.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if r.ReasonCodes == nil || !slices.IsSorted(r.ReasonCodes) || len(slices.Compact(slices.Clone(r.ReasonCodes))) != len(r.ReasonCodes) {
		t.Errorf("reason codes %q: want a sorted, deduplicated, non-nil list", r.ReasonCodes)
	}
	for _, c := range r.ReasonCodes {
		if !strings.HasPrefix(c, g.Type()+".") {
			t.Errorf("reason code %q lacks the %q prefix", c, g.Type()+".")
		}
	}
	if r.Message == "" || strings.Contains(r.Message, "\n") {
		t.Errorf("message %q: want one line", r.Message)
	}
	if (r.NotBefore != nil) != (r.Status == gate.StatusPending && g.Type() == TypeScheduleWindow) {
		t.Errorf("NotBefore = %v with status %s", r.NotBefore, r.Status)
	}
	checkCanonicalSafe(t, "details", r.Details)
	return r
}

// checkCanonicalSafe walks details: only JSON values the engine can hash,
// and no times.
func checkCanonicalSafe(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, string, bool, int, float64:
	case []string:
		if !slices.IsSorted(x) {
			t.Errorf("%s: list %q not sorted", path, x)
		}
	case []any:
		for i, e := range x {
			checkCanonicalSafe(t, fmt.Sprintf("%s[%d]", path, i), e)
		}
	case map[string]any:
		for k, e := range x {
			checkCanonicalSafe(t, path+"."+k, e)
		}
	default:
		t.Errorf("%s: %T is not canonical-JSON-safe", path, v)
	}
}

func wantResult(t *testing.T, r gate.Result, status gate.Status, codes ...string) {
	t.Helper()
	if codes == nil {
		codes = []string{}
	}
	sort.Strings(codes)
	if r.Status != status || !slices.Equal(r.ReasonCodes, codes) {
		t.Errorf("result = %s %q (%s), want %s %q", r.Status, r.ReasonCodes, r.Message, status, codes)
	}
}

// wantDetail compares one details value.
func wantDetail(t *testing.T, r gate.Result, key string, want any) {
	t.Helper()
	if got := r.Details[key]; !reflect.DeepEqual(got, want) {
		t.Errorf("details[%q] = %#v, want %#v", key, got, want)
	}
}

// refIDs lists the advisory ids of a details list of finding refs.
func refIDs(t *testing.T, r gate.Result, key string) []string {
	t.Helper()
	list, ok := r.Details[key].([]any)
	if !ok {
		t.Fatalf("details[%q] = %#v, want a list", key, r.Details[key])
	}
	ids := []string{}
	for _, e := range list {
		ids = append(ids, e.(map[string]any)["advisoryId"].(string))
	}
	return ids
}

func newInput(fs ...gate.Finding) *gate.Input {
	return &gate.Input{
		Schema:       gate.InputSchema,
		Phase:        gate.PhaseRequest,
		ClockCutoff:  testCutoff,
		Release:      gate.Release{Name: "app-v2", Digest: "sha256:rel2"},
		Environment:  gate.Environment{Name: "prod", Tier: "production"},
		Requester:    gate.Requester{ID: "u-alice", Groups: []string{"dev"}},
		Findings:     fs,
		EPSSSnapshot: "epss-2026-03-01",
	}
}

func active(id, purl string, severity advisory.Rating) gate.Finding {
	return gate.Finding{AdvisoryID: id, Component: gate.FindingRef{Name: "api", Purl: purl}, Severity: severity,
		FixState: "fixed", Active: true}
}

func ptr[T any](v T) *T { return &v }

func TestTypesAndDefaults(t *testing.T) {
	types := []string{TypeAggregate, TypeApprovals, TypeCVEDelta, TypeEPSS, TypeFreezeWindow, TypeKEV,
		TypeManual, TypeScheduleWindow, TypeSecurityThresholds, TypeVEXTrust}
	b := Types()
	var got []string
	for typ := range b {
		got = append(got, typ)
	}
	slices.Sort(got)
	if !slices.Equal(got, types) {
		t.Fatalf("Types() = %q, want %q", got, types)
	}
	for _, typ := range types {
		d := Defaults(typ, "")
		if d == nil {
			t.Errorf("Defaults(%q) = nil", typ)
		}
		// The defaults, merged as the engine merges them, build a gate.
		if _, err := b[typ]("x", d); err != nil {
			t.Errorf("%s: defaults rejected: %v", typ, err)
		}
	}
	if Defaults("policy", "") != nil {
		t.Error("Defaults(policy): want nil for a type that is not built in")
	}
	wantDefaults := map[string]map[string]any{
		TypeSecurityThresholds: {"failSeverity": "critical", "warnSeverity": "high", "onlyFixable": false, "onlyReachable": false},
		TypeKEV: {"allowGracePeriod": true, "graceDays": 14.0, "blockPastDueDate": true,
			"warnBeforeDueDate": true, "warnDaysBeforeDue": 7.0},
		TypeEPSS:           {"threshold": 0.6},
		TypeAggregate:      {"maxCritical": 0.0, "maxHigh": 3.0, "maxMedium": 20.0, "maxLow": -1.0},
		TypeCVEDelta:       {"newSeverityThreshold": 7.0, "onlyBlockReachable": false},
		TypeVEXTrust:       {},
		TypeFreezeWindow:   {},
		TypeScheduleWindow: {"windows": []any{}},
		TypeApprovals:      {},
		TypeManual:         {"prompt": "", "groups": []any{}},
	}
	for typ, want := range wantDefaults {
		if got := Defaults(typ, ""); !reflect.DeepEqual(got, want) {
			t.Errorf("Defaults(%q) = %#v, want %#v", typ, got, want)
		}
	}
	// Defaults are a fresh copy each time.
	Defaults(TypeKEV, "")["graceDays"] = 1.0
	if Defaults(TypeKEV, "")["graceDays"] != 14.0 {
		t.Error("Defaults shares state between calls")
	}
}

func TestSettingsErrors(t *testing.T) {
	tests := []struct {
		typ      string
		settings map[string]any
		setting  string
		problem  string
	}{
		{TypeKEV, map[string]any{"graceDay": 3}, "graceDay", "unknown setting"},
		{TypeKEV, map[string]any{"graceDays": "14"}, "graceDays", "want a whole number"},
		{TypeKEV, map[string]any{"graceDays": 1.5}, "graceDays", "want a whole number"},
		{TypeKEV, map[string]any{"graceDays": -1}, "graceDays", "must be ≥ 0"},
		{TypeKEV, map[string]any{"allowGracePeriod": "yes"}, "allowGracePeriod", "want true or false"},
		{TypeEPSS, map[string]any{"threshold": 1.2}, "threshold", "between 0 and 1"},
		{TypeEPSS, map[string]any{"threshold": -0.1}, "threshold", "between 0 and 1"},
		{TypeSecurityThresholds, map[string]any{"failSeverity": "severe"}, "failSeverity", "not a severity"},
		{TypeSecurityThresholds, map[string]any{"failSeverity": "high", "warnSeverity": "critical"}, "warnSeverity", "above failSeverity"},
		{TypeAggregate, map[string]any{"maxHigh": -2}, "maxHigh", "-1 for unlimited"},
		{TypeCVEDelta, map[string]any{"newSeverityThreshold": 11}, "newSeverityThreshold", "between 0 and 10"},
		{TypeVEXTrust, map[string]any{"minConfidence": 1.5}, "minConfidence", "between 0 and 1"},
		{TypeVEXTrust, map[string]any{"minConfidence": "high"}, "minConfidence", "want a number"},
		{TypeFreezeWindow, map[string]any{"windows": []any{}}, "windows", "unknown setting"},
		{TypeScheduleWindow, map[string]any{"windows": []any{map[string]any{"start": "9:00", "end": "17:00"}}}, "windows[0].start", "want HH:MM"},
		{TypeScheduleWindow, map[string]any{"windows": []any{map[string]any{"start": "09:00", "end": "24:30"}}}, "windows[0].end", "between 00:00 and 24:00"},
		{TypeScheduleWindow, map[string]any{"windows": []any{map[string]any{"start": "09:00", "end": "09:00"}}}, "windows[0].end", "is empty"},
		{TypeScheduleWindow, map[string]any{"windows": []any{map[string]any{"days": []any{"mon", "funday"}, "start": "09:00", "end": "17:00"}}}, "windows[0].days", "not a day"},
		{TypeScheduleWindow, map[string]any{"windows": []any{map[string]any{"start": "09:00", "end": "17:00", "timezone": "Mars/Olympus"}}}, "windows[0].timezone", "not an IANA time zone"},
		{TypeApprovals, map[string]any{"requiredApprovals": 3, "approverUsers": []any{"u-bob", "u-carol"}}, "requiredApprovals", "3 approvals required but only 2 eligible"},
		{TypeApprovals, map[string]any{"requiredApprovals": -1}, "requiredApprovals", "must be ≥ 0"},
		{TypeManual, map[string]any{"groups": "ops"}, "groups", "want a list"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.setting, func(t *testing.T) {
			_, err := Types()[tt.typ]("g", tt.settings)
			var se *SettingError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want *SettingError", err)
			}
			if se.Type != tt.typ || se.Setting != tt.setting || !strings.Contains(se.Problem, tt.problem) {
				t.Errorf("error = %+v, want type %q setting %q problem containing %q", se, tt.typ, tt.setting, tt.problem)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.setting)) {
				t.Errorf("message %q does not name the setting", err)
			}
		})
	}
	if _, err := Types()[TypeKEV]("", nil); err == nil {
		t.Error("empty gate id accepted")
	}
}

func TestFindingSeverity(t *testing.T) {
	// The label decides; without one the CVSS score does; without either
	// the finding is unknown.
	if got := findingSeverity(&gate.Finding{Severity: "low", CVSS: ptr(9.8)}); got != "low" {
		t.Errorf("severity of a low finding scored 9.8 = %q, want low (a downgrade is in the label)", got)
	}
	if got := findingSeverity(&gate.Finding{CVSS: ptr(7.5)}); got != "high" {
		t.Errorf("severity from CVSS 7.5 = %q, want high", got)
	}
	if got := findingSeverity(&gate.Finding{}); got != "unknown" {
		t.Errorf("severity of an unscored finding = %q, want unknown", got)
	}
}
