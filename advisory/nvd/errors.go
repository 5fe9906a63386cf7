package nvd

import "strings"

// ValidationError says which file, CVE and field of a document is wrong.
type ValidationError struct {
	File  string // path given to ReadFile; "" for a bare reader
	ID    string // CVE id, when known
	Field string // JSON path, e.g. "vulnerabilities[3].cve.metrics.cvssMetricV31[0]"
	Msg   string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("nvd: ")
	for _, s := range []string{e.File, e.ID, e.Field} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	b.WriteString(e.Msg)
	return b.String()
}
