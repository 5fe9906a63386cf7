package sbom

import "testing"

func TestCompareVersions(t *testing.T) {
	less := [][2]string{
		{"2.14.1", "2.17.0"}, {"2.9", "2.17.0"}, {"2.17", "2.17.0"}, {"2.17.0", "2.17.1"},
		{"v1.2.3", "v1.10.0"}, {"1.0.0-rc1", "1.0.0-rc2"}, {"1.0.0-alpha", "1.0.0-beta"}, {"3.0.11-1~deb12u1", "3.0.11-1~deb12u2"},
	}
	for _, p := range less {
		if CompareVersions(p[0], p[1]) >= 0 || CompareVersions(p[1], p[0]) <= 0 {
			t.Errorf("want %s < %s", p[0], p[1])
		}
	}
	if CompareVersions("1.2.3", "v1.2.3") != 0 {
		t.Error("a v prefix must not matter")
	}
}
