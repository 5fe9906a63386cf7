package debian

import "strings"

// ValidationError says which file, entry and field of a tracker document is
// wrong.
type ValidationError struct {
	File  string // path given to ReadFile; "" for a bare reader
	ID    string // "<package>/<CVE>", when known
	Field string // e.g. "releases.bookworm.status"
	Msg   string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("debian: ")
	for _, s := range []string{e.File, e.ID, e.Field} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	b.WriteString(e.Msg)
	return b.String()
}
