package canon

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// canonical rewrites the output of encoding/json into RFC 8785 form in one
// pass. It relies on what json.Marshal guarantees — valid JSON, no
// whitespace, valid UTF-8 — so it only has to sort object members by
// UTF-16 code units, re-escape strings the JCS way and re-format numbers
// as ECMAScript does (through jcs.NumberToJSON). Untrusted text still goes
// through jcs.Transform, which validates as it canonicalizes; the tests
// hold the two to the same bytes.
func canonical(b []byte) ([]byte, error) {
	c := canonicalizer{in: b, out: make([]byte, 0, len(b))}
	if err := c.value(0); err != nil {
		return nil, err
	}
	if c.pos != len(c.in) {
		return nil, c.fail("trailing data")
	}
	return c.out, nil
}

type canonicalizer struct {
	in  []byte
	pos int
	out []byte
}

// member is one object member written to out[lo:hi] ("key":value).
type member struct {
	key    string
	lo, hi int
}

const maxDepth = 1000

func (c *canonicalizer) fail(what string) error {
	return fmt.Errorf("canon: %s at byte %d", what, c.pos)
}

func (c *canonicalizer) value(depth int) error {
	if c.pos >= len(c.in) {
		return c.fail("unexpected end")
	}
	if depth > maxDepth {
		return c.fail("nesting too deep")
	}
	switch ch := c.in[c.pos]; {
	case ch == '{':
		return c.object(depth)
	case ch == '[':
		return c.array(depth)
	case ch == '"':
		s, err := c.str()
		if err != nil {
			return err
		}
		c.out = appendString(c.out, s)
		return nil
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(c.in)-c.pos >= len(lit) && string(c.in[c.pos:c.pos+len(lit)]) == lit {
				c.out = append(c.out, lit...)
				c.pos += len(lit)
				return nil
			}
		}
		return c.fail("unexpected character")
	}
}

func (c *canonicalizer) object(depth int) error {
	c.pos++ // {
	c.out = append(c.out, '{')
	base := len(c.out)
	var ms []member
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		c.out = append(c.out, '}')
		return nil
	}
	for {
		if len(ms) > 0 {
			c.out = append(c.out, ',')
		}
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return c.fail("object key expected")
		}
		key, err := c.str()
		if err != nil {
			return err
		}
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return c.fail("':' expected")
		}
		c.pos++
		lo := len(c.out)
		c.out = appendString(c.out, key)
		c.out = append(c.out, ':')
		if err := c.value(depth + 1); err != nil {
			return err
		}
		ms = append(ms, member{key: key, lo: lo, hi: len(c.out)})
		if c.pos >= len(c.in) {
			return c.fail("unexpected end")
		}
		if c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.in[c.pos] != '}' {
			return c.fail("',' or '}' expected")
		}
		c.pos++
		break
	}
	sorted := true
	for i := 1; i < len(ms); i++ {
		switch compareUTF16(ms[i-1].key, ms[i].key) {
		case 0:
			return fmt.Errorf("canon: duplicate object key %q", ms[i].key)
		case 1:
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(ms, func(a, b member) int { return compareUTF16(a.key, b.key) })
		for i := 1; i < len(ms); i++ {
			if ms[i-1].key == ms[i].key {
				return fmt.Errorf("canon: duplicate object key %q", ms[i].key)
			}
		}
		tmp := make([]byte, 0, len(c.out)-base)
		for i, m := range ms {
			if i > 0 {
				tmp = append(tmp, ',')
			}
			tmp = append(tmp, c.out[m.lo:m.hi]...)
		}
		c.out = append(c.out[:base], tmp...)
	}
	c.out = append(c.out, '}')
	return nil
}

func (c *canonicalizer) array(depth int) error {
	c.pos++ // [
	c.out = append(c.out, '[')
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		if err := c.value(depth + 1); err != nil {
			return err
		}
		if c.pos >= len(c.in) {
			return c.fail("unexpected end")
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return nil
		default:
			return c.fail("',' or ']' expected")
		}
	}
}

// str reads a JSON string and returns its value. Strings without escapes,
// nearly all of them, are taken as they are.
func (c *canonicalizer) str() (string, error) {
	start := c.pos
	c.pos++ // "
	escaped := false
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case '\\':
			escaped = true
			c.pos += 2
			continue
		case '"':
			c.pos++
			raw := c.in[start:c.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("canon: string at byte %d: %w", start, err)
			}
			return s, nil
		}
		c.pos++
	}
	return "", c.fail("unterminated string")
}

func (c *canonicalizer) number() error {
	start := c.pos
	simple := true // an integer of at most 15 digits is already canonical
	for c.pos < len(c.in) {
		ch := c.in[c.pos]
		if ch >= '0' && ch <= '9' {
			c.pos++
			continue
		}
		if ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E' {
			simple = simple && ch == '-' && c.pos == start
			c.pos++
			continue
		}
		break
	}
	tok := c.in[start:c.pos]
	if simple && len(tok) <= 15 && !(len(tok) >= 2 && tok[0] == '-' && tok[1] == '0') {
		c.out = append(c.out, tok...)
		return nil
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return fmt.Errorf("canon: number %q: %w", tok, err)
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return fmt.Errorf("canon: number %q: %w", tok, err)
	}
	c.out = append(c.out, s...)
	return nil
}

// appendString writes s as RFC 8785 requires: quote, backslash and
// control characters escaped (short forms where JSON has them), everything
// else as UTF-8.
func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 0x20 && ch != '"' && ch != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		switch ch {
		case '"':
			out = append(out, '\\', '"')
		case '\\':
			out = append(out, '\\', '\\')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			out = append(out, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&0xf])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785 sorts
// object keys. Byte order agrees with it except where a character above
// U+FFFF meets one in U+E000–U+FFFF, so only those pairs are re-encoded.
func compareUTF16(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		return cmp.Compare(len(a), len(b))
	}
	if a[i] < utf8.RuneSelf && b[i] < utf8.RuneSelf {
		return cmp.Compare(int(a[i]), int(b[i]))
	}
	// Back up to the start of the differing runes and compare them as UTF-16.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	ua, ub := utf16.AppendRune(nil, ra), utf16.AppendRune(nil, rb)
	return slices.Compare(ua, ub)
}
