package advisory

import (
	"errors"
	"testing"
	"time"
)

func ev(kind, v string) Event {
	switch kind {
	case "i":
		return Event{Introduced: v}
	case "f":
		return Event{Fixed: v}
	case "la":
		return Event{LastAffected: v}
	}
	return Event{Limit: v}
}

func TestEvaluateRangeFollowsOSV(t *testing.T) {
	tests := []struct {
		name     string
		events   []Event
		version  string
		want     bool
		decision string
	}{
		{"introduced 0 affects everything", []Event{ev("i", "0")}, "10.0.0", true, "introduced 0 <= 10.0.0 (no fixed version)"},
		{"below fixed", []Event{ev("i", "0"), ev("f", "0.3.8")}, "0.3.7", true, "introduced 0 <= 0.3.7 < fixed 0.3.8"},
		{"at fixed", []Event{ev("i", "0"), ev("f", "0.3.8")}, "0.3.8", false, "0.3.8 >= fixed 0.3.8"},
		{"at introduced", []Event{ev("i", "1.0.0"), ev("f", "2.0.0")}, "1.0.0", true, "introduced 1.0.0 <= 1.0.0 < fixed 2.0.0"},
		{"below introduced", []Event{ev("i", "1.0.0"), ev("f", "2.0.0")}, "0.9.0", false, "0.9.0 < introduced 1.0.0"},
		{"at last_affected", []Event{ev("i", "1.0.0"), ev("la", "1.5.0")}, "1.5.0", true, "introduced 1.0.0 <= 1.5.0 <= last_affected 1.5.0"},
		{"above last_affected", []Event{ev("i", "1.0.0"), ev("la", "1.5.0")}, "1.5.1", false, "1.5.1 > last_affected 1.5.0"},
		{"unsorted pairs, in first", []Event{ev("f", "4.0.0"), ev("i", "3.0.0"), ev("f", "2.0.0"), ev("i", "1.0.0")}, "1.5.0", true, "introduced 1.0.0 <= 1.5.0 < fixed 2.0.0"},
		{"unsorted pairs, gap", []Event{ev("f", "4.0.0"), ev("i", "3.0.0"), ev("f", "2.0.0"), ev("i", "1.0.0")}, "2.5.0", false, "2.5.0 >= fixed 2.0.0"},
		{"unsorted pairs, in second", []Event{ev("f", "4.0.0"), ev("i", "3.0.0"), ev("f", "2.0.0"), ev("i", "1.0.0")}, "3.9.9", true, "introduced 3.0.0 <= 3.9.9 < fixed 4.0.0"},
		{"unsorted pairs, after all", []Event{ev("f", "4.0.0"), ev("i", "3.0.0"), ev("f", "2.0.0"), ev("i", "1.0.0")}, "4.0.0", false, "4.0.0 >= fixed 4.0.0"},
		{"two introduced, one fix", []Event{ev("i", "1.0.0"), ev("i", "2.0.0"), ev("f", "3.0.0")}, "2.5.0", true, "introduced 2.0.0 <= 2.5.0 < fixed 3.0.0"},
		{"prerelease before release", []Event{ev("i", "0"), ev("f", "1.0.0")}, "1.0.0-rc.1", true, "introduced 0 <= 1.0.0-rc.1 < fixed 1.0.0"},
		{"limit excludes at and above", []Event{ev("i", "0"), ev("l", "2.0.0")}, "2.0.0", false, "2.0.0 >= every limit [2.0.0]"},
		{"limit keeps below", []Event{ev("i", "0"), ev("l", "2.0.0")}, "1.9.0", true, "introduced 0 <= 1.9.0 (no fixed version) < limit 2.0.0"},
		{"limit star", []Event{ev("i", "0"), ev("l", "*")}, "9.9.9", true, "introduced 0 <= 9.9.9 (no fixed version)"},
		{"introduced equals fixed is empty", []Event{ev("f", "1.0.0"), ev("i", "1.0.0")}, "1.0.0", false, "1.0.0 >= fixed 1.0.0"},
		{"go v prefix and +incompatible", []Event{ev("i", "0"), ev("f", "4.0.0")}, "v3.2.0+incompatible", true, "introduced 0 <= v3.2.0+incompatible < fixed 4.0.0"},
		{"pseudo-version is a prerelease", []Event{ev("i", "0"), ev("f", "0.0.0-20200101000000-abcdefabcdef")}, "v0.0.0-20190101000000-abcdefabcdef", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, evd, err := EvaluateRange(Range{Type: RangeSemver, Events: tt.events}, tt.version, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("affected = %v, want %v (%s)", got, tt.want, evd.Decision)
			}
			if tt.decision != "" && evd.Decision != tt.decision {
				t.Errorf("decision = %q, want %q", evd.Decision, tt.decision)
			}
		})
	}
}

func TestEvaluateRangeRefusesWhatItCannotOrder(t *testing.T) {
	if ok, evd, err := EvaluateRange(Range{Type: RangeGit, Repo: "https://x", Events: []Event{ev("i", "0")}}, "1.0.0", semverRanges); ok || !errors.Is(err, ErrUnsupportedRange) || evd.Note == "" {
		t.Errorf("GIT range: affected=%v err=%v note=%q; want never affected, ErrUnsupportedRange, a note", ok, err, evd.Note)
	}
	if ok, _, err := EvaluateRange(Range{Type: RangeEcosystem, Events: []Event{ev("i", "0")}}, "1.0", nil); ok || !errors.Is(err, ErrUnsupportedEcosystem) {
		t.Errorf("ECOSYSTEM range without scheme: affected=%v err=%v", ok, err)
	}
	if _, _, err := EvaluateRange(Range{Type: RangeSemver, Events: []Event{ev("i", "0"), ev("f", "1.0")}}, "0.5.0", nil); err == nil {
		t.Error("SEMVER event 1.0 is not SemVer 2.0; want an error")
	}
	if _, _, err := EvaluateRange(Range{Type: RangeSemver, Events: []Event{{Introduced: "0", Fixed: "1.0.0"}}}, "0.5.0", nil); err == nil {
		t.Error("event with two fields; want an error")
	}
	if _, _, err := EvaluateRange(Range{Type: RangeSemver, Events: []Event{ev("i", "0")}}, "not-a-version", nil); err == nil {
		t.Error("unparsable installed version; want an error")
	}
}

func TestEvaluateAffected(t *testing.T) {
	semverFix := Range{Type: RangeSemver, Events: []Event{ev("i", "0"), ev("f", "1.2.0")}}
	git := Range{Type: RangeGit, Repo: "https://example.com/r", Events: []Event{ev("i", "0")}}
	eco := Range{Type: RangeEcosystem, Events: []Event{ev("i", "0"), ev("f", "2.0.0")}}
	tests := []struct {
		name              string
		aff               Affected
		eco               Comparer
		version           string
		affected, unknown bool
	}{
		{"range match", Affected{Ranges: []Range{semverFix}}, nil, "1.1.0", true, false},
		{"versions list", Affected{Versions: []string{"1.4.0", "1.5.0"}}, nil, "1.5.0", true, false},
		{"versions list by scheme equality", Affected{Versions: []string{"0.3.7"}}, semverRanges, "v0.3.7", true, false},
		{"not in range nor list", Affected{Ranges: []Range{semverFix}, Versions: []string{"1.4.0"}}, nil, "1.3.0", false, false},
		{"list beats range", Affected{Ranges: []Range{semverFix}, Versions: []string{"1.4.0"}}, nil, "1.4.0", true, false},
		{"GIT only is unsupported", Affected{Ranges: []Range{git}}, nil, "1.0.0", false, true},
		{"GIT beside SEMVER is ignored", Affected{Ranges: []Range{git, semverFix}}, nil, "1.3.0", false, false},
		{"unknown ecosystem is unsupported, not clean", Affected{Ranges: []Range{eco}}, nil, "1.0.0", false, true},
		{"ecosystem range with scheme", Affected{Ranges: []Range{eco}}, semverRanges, "1.0.0", true, false},
		{"no ranges nor versions fails closed", Affected{}, nil, "1.0.0", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EvaluateAffected(&tt.aff, tt.version, tt.eco)
			if r.Affected != tt.affected || r.Unsupported != tt.unknown {
				t.Errorf("got affected=%v unsupported=%v (%+v), want %v/%v", r.Affected, r.Unsupported, r.Evidence, tt.affected, tt.unknown)
			}
		})
	}
}

func TestWithdrawnNeverMatches(t *testing.T) {
	a := Advisory{ID: "X-1", Withdrawn: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Affected: []Affected{
		{Package: Package{Ecosystem: "Go", Name: "example.com/m"}, Ranges: []Range{{Type: RangeSemver, Events: []Event{ev("i", "0")}}}},
	}}
	m := NewMatcher([]Advisory{a})
	if n := len(m.index); n != 0 {
		t.Errorf("withdrawn advisory indexed under %d keys", n)
	}
}
