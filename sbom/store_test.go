package sbom

import "testing"

func TestSplitPURL(t *testing.T) {
	tests := []struct{ in, typ, ns, name string }{
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", "maven", "org.apache.logging.log4j", "log4j-core"},
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "deb", "debian", "openssl"},
		{"pkg:golang/golang.org%2Fx%2Fnet@v0.1.0", "golang", "", "golang.org%2Fx%2Fnet"},
		{"pkg:golang/github.com/google/uuid@v1.6.0", "golang", "github.com/google", "uuid"},
		{"pkg:npm/%40scope/pkg@1.0.0", "npm", "%40scope", "pkg"},
		{"pkg:PyPI/requests", "pypi", "", "requests"},
	}
	for _, tt := range tests {
		typ, ns, name := splitPURL(tt.in)
		if typ != tt.typ || ns != tt.ns || name != tt.name {
			t.Errorf("splitPURL(%q) = %q %q %q, want %q %q %q", tt.in, typ, ns, name, tt.typ, tt.ns, tt.name)
		}
	}
	if _, err := ParsePackageQuery("log4j"); err == nil {
		t.Error("want an error for a query that is not a purl")
	}
}
