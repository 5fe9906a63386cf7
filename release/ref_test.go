package release

import (
	"strings"
	"testing"
)

func TestParseImageRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		want    ImageRef
		wantErr string
	}{
		{in: "127.0.0.1:5000/team/api:v2.3.1", want: ImageRef{Registry: "127.0.0.1:5000", Repository: "team/api", Tag: "v2.3.1"}},
		{in: "registry.example.com/api@" + d, want: ImageRef{Registry: "registry.example.com", Repository: "api", Digest: d}},
		{in: "localhost/api:1", want: ImageRef{Registry: "localhost", Repository: "api", Tag: "1"}},
		{in: "api:v1", wantErr: "no registry host"},
		{in: "library/nginx", wantErr: "no registry host"},
		{in: "reg.io/API:v1", wantErr: "reg.io/API:v1"},
		{in: "reg.io/api@sha512:" + strings.Repeat("a", 128), wantErr: "sha256"},
		{in: " reg.io/api:v1", wantErr: "spaces"},
		{in: "", wantErr: "empty"},
	}
	for _, tt := range tests {
		got, err := ParseImageRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseImageRef(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseImageRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestValidateTag(t *testing.T) {
	for _, ok := range []string{"v1", "latest", "2026.11.28", "1.2.3-rc.1_b", strings.Repeat("a", 128)} {
		if err := ValidateTag(ok); err != nil {
			t.Errorf("ValidateTag(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "-x", "a/b", "a:b", strings.Repeat("a", 129), "v1 "} {
		if err := ValidateTag(bad); err == nil || !strings.Contains(err.Error(), "tag") {
			t.Errorf("ValidateTag(%q) = %v, want an error naming the tag", bad, err)
		}
	}
}

// FuzzParseImageRef: any input either parses to a reference that round-trips, or
// gives an error; it never panics.
func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5000/team/api:v2.3.1", "reg.io/a@sha256:" + strings.Repeat("0", 64), "localhost/x", "a:b", "reg.io/a:", "reg.io//a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseImageRef(s)
		if err != nil {
			return
		}
		again, err := ParseImageRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("%q parsed to %+v, whose string %q parses to %+v, %v", s, ref, ref.String(), again, err)
		}
		if ref.Tag != "" {
			if err := ValidateTag(ref.Tag); err != nil {
				t.Fatalf("%q gave an invalid tag: %v", s, err)
			}
		}
	})
}

func FuzzValidateTag(f *testing.F) {
	for _, s := range []string{"v1", ".x", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateTag(s) == nil && (len(s) == 0 || len(s) > 128 || strings.ContainsAny(s, "/:@ ")) {
			t.Fatalf("ValidateTag accepted %q", s)
		}
	})
}
