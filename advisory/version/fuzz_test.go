package version

import "testing"

// fuzzScheme checks that Parse never panics and that Compare is reflexive
// and antisymmetric on what parses, and, when transitive is set, transitive.
//
// Three native orderings are not transitive on malformed input, and we keep
// their behaviour rather than invent an order: apk compares two invalid
// versions as plain text but an invalid with a valid one structurally;
// Maven's ComparableVersion orders a qualifier against padding and against a
// sub-list inconsistently ("a-c0a" < "00a000aaa" < "0" < "a-c0a"); PHP's
// version_compare, which Composer uses, treats a literal "#" as equal to
// every number.
func fuzzScheme(f *testing.F, s Scheme, transitive bool, seeds ...string) {
	for i := range seeds {
		f.Add(seeds[i], seeds[(i+1)%len(seeds)], seeds[(i+2)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, x, y, z string) {
		a, errA := s.Parse(x)
		b, errB := s.Parse(y)
		c, errC := s.Parse(z)
		if errA != nil || errB != nil || errC != nil {
			return
		}
		if a.String() != x {
			t.Fatalf("String() = %q, want %q", a.String(), x)
		}
		if got := s.Compare(a, a); got != 0 {
			t.Fatalf("Compare(%q, %q) = %d, want 0", x, x, got)
		}
		ab, ba := s.Compare(a, b), s.Compare(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: Compare(%q, %q) = %d, Compare(%q, %q) = %d", x, y, ab, y, x, ba)
		}
		if !transitive {
			return
		}
		bc, ac := s.Compare(b, c), s.Compare(a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but Compare(%q, %q) = %d", x, y, z, x, z, ac)
		}
		if ab >= 0 && bc >= 0 && ac < 0 {
			t.Fatalf("not transitive: %q >= %q >= %q but Compare(%q, %q) = %d", x, y, z, x, z, ac)
		}
	})
}

func FuzzCompareDpkg(f *testing.F) {
	fuzzScheme(f, Dpkg, true, "1:1.0-1", "2.0~rc1", "2.0", "1.2.3-1~deb7u1", "0.0.0-0", "2.7.4+reloaded2-13ubuntu1", "1.0a~", "0:0")
}

func FuzzComparePEP440(f *testing.F) {
	fuzzScheme(f, PEP440, true, "1.0a1", "1.0.0a1", "1!2.0.post1.dev3+local.7", "1.0.dev0", "0.1-bulbasaur", "1.0-1", "2.0rc1", "-class.-jw")
}

func FuzzCompareRPM(f *testing.F) {
	fuzzScheme(f, RPM, true, "1.0^git1", "1.0~rc1", "1:1.2-3.el9_2", "1.2-3", "a:1", "1-", "1.1.α", "+2-:")
}

func FuzzCompareAPK(f *testing.F) {
	fuzzScheme(f, APK, false, "1.2.3-r1", "1.2_rc1", "1.2a_p2", "0..8", "1-ruff2", "6.6.2p1", "1.02", ".1")
}

func FuzzCompareMaven(f *testing.F) {
	fuzzScheme(f, Maven, false, "1.0-alpha-1", "1-ga-1", "1.0-SNAPSHOT", "1-1.foo-bar1baz-.1", "6.1H.5-beta", "1.0-sp", "1-", "1.0.0.x1")
}

func FuzzCompareSemVer(f *testing.F) {
	fuzzScheme(f, SemVer, true, "1.0.0-alpha.1", "v1.2.3+build", "1.2.3-5-foo", "999999999999999999999999999991", "0.0.0", "1.0.0-0", "1.2.3-a.b", "2")
}

func FuzzCompareStrictSemVer(f *testing.F) {
	fuzzScheme(f, StrictSemVer, true, "1.0.0-alpha.1", "v1.2.3+build", "1.2.3-5-foo", "0.0.0", "1.0.0-0", "1.2.3-a.b", "1.0")
}

func FuzzCompareGo(f *testing.F) {
	fuzzScheme(f, Go, true, "v1.2.3", "v0.0.0-20200101000000-abcdefabcdef", "v2.0.0+incompatible", "1.2.4-0.20200101000000-abcdefabcdef", "v1", "v1.2")
}

func FuzzCompareNuGet(f *testing.F) {
	fuzzScheme(f, NuGet, true, "1.0.0.1-alpha", "1.0.0-BETA", "1.0", "1.0.01+aa", "1.0.0-beta.X.y.5")
}

func FuzzCompareGem(f *testing.F) {
	fuzzScheme(f, RubyGems, true, "1.0.a10", "1.0.a.9", "1-beta", "3.10", "1beta", "1.0.0.0")
}

func FuzzCompareComposer(f *testing.F) {
	fuzzScheme(f, Composer, false, "1.0-dev", "v1.0pl1", "1.2.3.#.beta", "dev-foo", "4.3-2RC1", "1.25.0-b.2.1")
}
