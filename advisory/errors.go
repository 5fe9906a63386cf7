package advisory

import (
	"fmt"
	"strings"

	"github.com/stella-ops/stella/fault"
)

// ValidationError says where a feed document is wrong. Every feed reader
// (advisory/osv, nvd, csaf, debian, alpine, kev, epss) returns it, so a
// caller tells a bad document from a failed read the same way for all of
// them; it matches fault.ErrValidation.
type ValidationError struct {
	Feed  string // the reader, e.g. "osv"; starts the message
	File  string // path or zip entry given to the reader; "" for a bare reader
	ID    string // the record, when known: a CVE, "<package>/<CVE>", a document id
	Line  int    // 1-based line of a line-oriented file (CSV); 0 when not about a line
	Field string // JSON path or column, e.g. "affected[0].ranges[1].events[2]"
	Msg   string
}

// Error reads "<feed>: <file>: <id>: line <n>: <field>: <msg>", leaving out
// what is not known.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Feed + ": ")
	for _, s := range []string{e.File, e.ID} {
		if s != "" {
			b.WriteString(s + ": ")
		}
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *ValidationError) Is(target error) bool { return target == fault.ErrValidation }
