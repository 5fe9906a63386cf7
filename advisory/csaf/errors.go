package csaf

import "strings"

// ValidationError says which file, document and field is wrong.
type ValidationError struct {
	File  string // path given to ReadFile; "" for a bare reader
	ID    string // document.tracking.id, when known
	Field string // JSON path, e.g. "vulnerabilities[0].product_status.fixed[2]"
	Msg   string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("csaf: ")
	for _, s := range []string{e.File, e.ID, e.Field} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	b.WriteString(e.Msg)
	return b.String()
}
