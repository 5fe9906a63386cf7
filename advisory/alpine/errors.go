package alpine

import "strings"

// ValidationError says which file, package and field of a secdb document is
// wrong.
type ValidationError struct {
	File  string // path given to ReadFile; "" for a bare reader
	ID    string // "<distroversion>/<package>", when known
	Field string // e.g. "packages[3].pkg.secfixes"
	Msg   string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("alpine: ")
	for _, s := range []string{e.File, e.ID, e.Field} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	b.WriteString(e.Msg)
	return b.String()
}
