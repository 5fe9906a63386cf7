package stellanote

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stella-ops/stella/sbom"
)

// Prefix starts every note name; other comment lines are free text.
const Prefix = "stella:"

// Note names that are not sbom property names.
const (
	Key                = "stella:key"                 // the component's key when it has no purl
	Type               = "stella:type"                // the CycloneDX component type, when the SPDX purpose loses it
	Location           = "stella:location"            // "[<diffID> ]<path>"
	FoundBy            = "stella:foundBy"             // a cataloger
	SubjectKind        = "stella:subject.kind"        // image | directory | file | sbom
	SubjectDigest      = "stella:subject.digest"      // manifest or file digest
	SubjectIndexDigest = "stella:subject.indexDigest" // multi-platform index digest
	SubjectPlatform    = "stella:subject.platform"    // e.g. linux/amd64
	ImageLayer         = "stella:image.layer"         // "<index> <diffID> <chainID>[ <digest>]"
	Warning            = "stella:warning"             // "<code> <message>"
)

// Format writes notes as sorted "name=value" lines. Backslashes, CR and LF
// in values are escaped so that one note is always one line.
func Format(notes []sbom.Property) string {
	lines := make([]string, 0, len(notes))
	for _, n := range notes {
		lines = append(lines, n.Name+"="+escape(n.Value))
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	return strings.Join(lines, "\n")
}

// Parse splits a comment into its notes and the remaining free text.
func Parse(comment string) (notes []sbom.Property, rest string) {
	var other []string
	for line := range strings.SplitSeq(comment, "\n") {
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r"), "=")
		if ok && strings.HasPrefix(name, Prefix) && !strings.ContainsAny(name, " \t") {
			notes = append(notes, sbom.Property{Name: name, Value: unescape(value)})
			continue
		}
		other = append(other, line)
	}
	return sortNotes(notes), strings.TrimSpace(strings.Join(other, "\n"))
}

func sortNotes(n []sbom.Property) []sbom.Property {
	slices.SortFunc(n, func(a, b sbom.Property) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
	return slices.Compact(n)
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
