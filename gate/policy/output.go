package policy

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
)

// codePattern is what a rule code must look like; the gate reports it as
// reason code "policy.<code>".
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Rule is one element of deny or warn.
type Rule struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Output is what a policy decided. Deny and Warn are sorted by code, then
// message, without duplicates; Deny is empty (not nil) when nothing is denied.
type Output struct {
	Deny  []Rule
	Warn  []Rule
	Trace []string // only with EvalTrace
}

// Denied reports whether the policy denies the release.
func (o Output) Denied() bool { return len(o.Deny) > 0 }

// parseRules checks one of deny or warn: a set (or array) of objects with
// exactly a string code and a string message.
func parseRules(name string, v any) ([]Rule, error) {
	elems, ok := v.([]any)
	if !ok {
		return nil, invalid("%s must be a set of {code, message} objects, not %s", name, jsonType(v))
	}
	rules := make([]Rule, 0, len(elems))
	for _, e := range elems {
		r, err := parseRule(e)
		if err != nil {
			return nil, invalid("%s element %s", name, err)
		}
		rules = append(rules, r)
	}
	slices.SortFunc(rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(rules), nil
}

func parseRule(e any) (Rule, error) {
	obj, ok := e.(map[string]any)
	if !ok {
		return Rule{}, fmt.Errorf("is %s, not an object", jsonType(e))
	}
	for k := range obj {
		if k != "code" && k != "message" {
			return Rule{}, fmt.Errorf("has unexpected key %q (only code and message)", k)
		}
	}
	code, ok := obj["code"].(string)
	if !ok {
		return Rule{}, fmt.Errorf("code is %s, not a string", jsonType(obj["code"]))
	}
	if !codePattern.MatchString(code) {
		return Rule{}, fmt.Errorf("code %q does not match %s", code, codePattern)
	}
	msg, ok := obj["message"].(string)
	if !ok {
		return Rule{}, fmt.Errorf("%q: message is %s, not a string", code, jsonType(obj["message"]))
	}
	return Rule{Code: code, Message: msg}, nil
}

func invalid(format string, args ...any) *Error {
	return &Error{Kind: KindInvalidOutput, Err: fmt.Errorf(format, args...)}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return "a number"
	}
}
