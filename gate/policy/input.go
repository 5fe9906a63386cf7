package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Input is an input document converted once, for a decision that evaluates
// several policies on the same input. Eval converts any other value itself.
type Input struct{ v ast.Value }

// NewInput converts input as Eval would.
func NewInput(input any) (*Input, error) {
	v, err := inputValue(input)
	if err != nil {
		return nil, err
	}
	return &Input{v: v}, nil
}

// inputValue converts the caller's input to OPA's value model the way
// encoding/json sees it (so times are RFC 3339 strings and nil pointers are
// null). An ast.Value is used as is.
func inputValue(input any) (ast.Value, error) {
	switch v := input.(type) {
	case *Input:
		if v == nil {
			return nil, errors.New("policy: nil *Input")
		}
		return v.v, nil
	case ast.Value:
		return v, nil
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("policy: encode input: %w", err)
	}
	v, err := parseJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("policy: convert input: %w", err)
	}
	return v, nil
}

// parseJSON turns JSON text straight into an ast.Value. OPA's own path
// (ast.ValueFromReader) decodes into map[string]any first and then converts;
// for a 10,000-finding input that intermediate tree costs more than the
// parse. The result is the same value (FuzzParseJSON checks).
func parseJSON(data []byte) (ast.Value, error) {
	d := jsonParser{data: data, strs: map[string]*ast.Term{}}
	t, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.fail("trailing data")
	}
	return t.Value, nil
}

// maxDepth bounds nesting like encoding/json does, so hostile input cannot
// exhaust the stack.
const maxDepth = 10000

type jsonParser struct {
	data []byte
	pos  int
	// Object keys and short strings repeat across findings; one term each.
	strs map[string]*ast.Term
	// Members of the objects being parsed, innermost last, so that each
	// object is built at its final size.
	items [][2]*ast.Term
}

func (d *jsonParser) fail(what string) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", d.pos, what)
}

func (d *jsonParser) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonParser) value(depth int) (*ast.Term, error) {
	if depth > maxDepth {
		return nil, d.fail("nested too deeply")
	}
	d.space()
	if d.pos >= len(d.data) {
		return nil, d.fail("unexpected end")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case d.literal("true"):
		return ast.InternedTerm(true), nil
	case d.literal("false"):
		return ast.InternedTerm(false), nil
	case d.literal("null"):
		return ast.NullTerm(), nil
	}
	return nil, d.fail("unexpected character")
}

func (d *jsonParser) literal(s string) bool {
	if len(d.data)-d.pos >= len(s) && string(d.data[d.pos:d.pos+len(s)]) == s {
		d.pos += len(s)
		return true
	}
	return false
}

func (d *jsonParser) object(depth int) (*ast.Term, error) {
	d.pos++ // {
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return ast.NewTerm(ast.NewObject()), nil
	}
	base := len(d.items)
	defer func() { d.items = d.items[:base] }()
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("expected a string key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("expected ':'")
		}
		d.pos++
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.items = append(d.items, [2]*ast.Term{k, v})
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return ast.NewTerm(newObject(d.items[base:])), nil
		default:
			return nil, d.fail("expected ',' or '}'")
		}
	}
}

func (d *jsonParser) array(depth int) (*ast.Term, error) {
	d.pos++ // [
	var elems []*ast.Term
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return ast.NewTerm(ast.NewArray()), nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return ast.NewTerm(ast.NewArray(elems...)), nil
		default:
			return nil, d.fail("expected ',' or ']'")
		}
	}
}

// newObject builds an object at its final size. ast.NewObject keeps
// repeated keys, so those (never produced by encoding/json, but possible in a
// json.RawMessage) go through Insert: the last value wins, as in encoding/json.
func newObject(items [][2]*ast.Term) ast.Object {
	for i := 1; i < len(items); i++ {
		ki := items[i][0].Value.(ast.String)
		for j := range i {
			if items[j][0].Value.(ast.String) == ki {
				obj := ast.NewObjectWithCapacity(len(items))
				for _, kv := range items {
					obj.Insert(kv[0], kv[1])
				}
				return obj
			}
		}
	}
	return ast.NewObject(items...)
}

// maxShared is the longest string worth sharing: keys, enums, short names.
const maxShared = 32

func (d *jsonParser) str() (*ast.Term, error) {
	start := d.pos
	d.pos++ // "
	plain := true
	for {
		if d.pos >= len(d.data) {
			return nil, d.fail("unterminated string")
		}
		c := d.data[d.pos]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			d.pos += 2 // skip the escaped character; encoding/json validates below
			continue
		}
		if c < 0x20 || c >= utf8.RuneSelf {
			plain = false
		}
		d.pos++
	}
	d.pos++ // closing "
	raw := d.data[start:d.pos]
	if !plain {
		// Escapes, control characters and non-ASCII: encoding/json decides,
		// exactly as on OPA's own path (invalid UTF-8 becomes U+FFFD).
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("invalid JSON string at offset %d: %w", start, err)
		}
		return d.shared(s), nil
	}
	body := raw[1 : len(raw)-1]
	if len(body) <= maxShared {
		if t, ok := d.strs[string(body)]; ok { // no allocation for the lookup
			return t, nil
		}
	}
	return d.shared(string(body)), nil
}

func (d *jsonParser) shared(s string) *ast.Term {
	if len(s) > maxShared {
		return ast.StringTerm(s)
	}
	if t, ok := d.strs[s]; ok {
		return t
	}
	t := ast.InternedTerm(s)
	d.strs[s] = t
	return t
}

var errNumber = errors.New("malformed number")

// number scans the JSON number grammar; the text itself is the value, as
// with json.Number.
func (d *jsonParser) number() (*ast.Term, error) {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, fmt.Errorf("invalid JSON at offset %d: %w", start, errNumber)
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, fmt.Errorf("invalid JSON at offset %d: %w", start, errNumber)
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, fmt.Errorf("invalid JSON at offset %d: %w", start, errNumber)
		}
	}
	s := string(d.data[start:d.pos])
	if t := ast.InternedIntNumberTermFromString(s); t != nil {
		return t, nil
	}
	n, err := ast.NumberChecked(s) // refuses exponents out of range, as OPA's path does
	if err != nil {
		return nil, fmt.Errorf("invalid JSON at offset %d: %w", start, err)
	}
	return ast.NewTerm(n), nil
}
