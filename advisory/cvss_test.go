package advisory

import "testing"

func TestCVSS31BaseScores(t *testing.T) {
	for _, tt := range []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1}, // typical XSS
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", 3.7},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
		{"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:C/C:H/I:H/A:H", 7.2},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8}, // temporal metrics ignored
	} {
		v, err := ParseCVSS(tt.vector)
		if err != nil {
			t.Fatalf("%s: %v", tt.vector, err)
		}
		got, err := v.BaseScore()
		if err != nil || got != tt.want {
			t.Errorf("%s: base score %v (err %v), want %v", tt.vector, got, err, tt.want)
		}
	}
}

func TestRoundUp31AvoidsFloatNoise(t *testing.T) {
	for in, want := range map[float64]float64{4.000000001: 4.0, 4.02: 4.1, 4.0: 4.0, 9.71: 9.8} {
		if got := roundUp31(in); got != want {
			t.Errorf("roundUp31(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestParseCVSSRejectsBadVectors(t *testing.T) {
	for _, bad := range []string{
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                   // no prefix
		"CVSS:2.0/AV:N",                                         // version
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",              // missing A
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",      // duplicate
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",          // bad value
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",     // unknown metric
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N", // missing SI, SA
	} {
		if _, err := ParseCVSS(bad); err == nil {
			t.Errorf("ParseCVSS(%q) accepted a bad vector", bad)
		}
	}
}

func TestScoreSeverityV4(t *testing.T) {
	// Scores of the FIRST CVSS v4.0 calculator.
	for vector, want := range map[string]float64{
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": 9.3,
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H": 10,
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N": 0,
	} {
		s := Severity{Type: CVSSv4, Score: vector}
		if err := ScoreSeverity(&s); err != nil || s.BaseScore == nil || *s.BaseScore != want {
			t.Errorf("%s: err %v, score %v; want %v", vector, err, s.BaseScore, want)
		}
	}
	// Valid but out of the specification's order: kept, unscored.
	s := Severity{Type: CVSSv4, Score: "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
	if err := ScoreSeverity(&s); err != nil || s.BaseScore != nil {
		t.Errorf("out-of-order v4: err %v, score %v; want valid and unscored", err, s.BaseScore)
	}
	mismatch := Severity{Type: CVSSv4, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
	if err := ScoreSeverity(&mismatch); err == nil {
		t.Error("CVSS_V4 type with a 3.1 vector: want an error")
	}
}
