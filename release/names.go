package release

import "regexp"

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// releaseName allows dots and underscores so that names like "myapp-v2.3.1" fit.
var releaseName = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$`)

func checkDNSLabel(v *validator, field, s string) {
	v.check(dnsLabel.MatchString(s), field, "%q is not a DNS label (lowercase letters, digits and '-', at most 63)", s)
}
