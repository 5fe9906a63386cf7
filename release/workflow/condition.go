package workflow

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Eval evaluates c against s. Numbers compare as numbers whatever their Go
// type, strings lexically (byte order), booleans and null only with == and
// !=. A ref the scope does not have makes its comparison false whatever the
// op (wrap it in not to test absence); comparing values of different kinds
// with == != < <= > >= is an error, while "in" simply finds no equal
// element of another kind.
func (c Condition) Eval(s Scope) (bool, error) {
	switch {
	case c.All != nil:
		for _, sub := range c.All {
			ok, err := sub.Eval(s)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case c.Any != nil:
		for _, sub := range c.Any {
			ok, err := sub.Eval(s)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case c.Not != nil:
		ok, err := c.Not.Eval(s)
		return !ok && err == nil, err
	case c.Ref != "":
		got, ok := s.Lookup(c.Ref)
		if !ok {
			return false, nil
		}
		return compare(c.Ref, got, c.Op, c.Value)
	}
	return false, fmt.Errorf("condition: needs one of all, any, not or ref")
}

func compare(ref string, got any, op string, want any) (bool, error) {
	if op == "in" {
		list, ok := asList(want)
		if !ok {
			return false, fmt.Errorf("condition on %s: op in needs a list, got %T", ref, want)
		}
		for _, w := range list {
			if eq, err := equal(got, w); err == nil && eq {
				return true, nil
			}
		}
		return false, nil
	}
	switch op {
	case "==", "!=":
		eq, err := equal(got, want)
		if err != nil {
			return false, fmt.Errorf("condition on %s: %w", ref, err)
		}
		return eq == (op == "=="), nil
	case "<", "<=", ">", ">=":
		cmp, err := order(got, want)
		if err != nil {
			return false, fmt.Errorf("condition on %s: %w", ref, err)
		}
		switch op {
		case "<":
			return cmp < 0, nil
		case "<=":
			return cmp <= 0, nil
		case ">":
			return cmp > 0, nil
		default:
			return cmp >= 0, nil
		}
	}
	return false, fmt.Errorf("condition on %s: unknown op %q", ref, op)
}

func equal(a, b any) (bool, error) {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y, nil
		}
	}
	ka, kb := kind(a), kind(b)
	if ka != kb {
		return false, fmt.Errorf("cannot compare %s with %s", ka, kb)
	}
	switch ka {
	case "string":
		return a.(string) == b.(string), nil
	case "bool":
		return a.(bool) == b.(bool), nil
	case "null":
		return true, nil
	}
	// Lists and objects: equal when their JSON is.
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false, fmt.Errorf("cannot compare %T with %T", a, b)
	}
	return string(ja) == string(jb), nil
}

func order(a, b any) (int, error) {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			switch {
			case x < y:
				return -1, nil
			case x > y:
				return 1, nil
			}
			return 0, nil
		}
	}
	sa, okA := a.(string)
	sb, okB := b.(string)
	if okA && okB {
		return strings.Compare(sa, sb), nil
	}
	return 0, fmt.Errorf("cannot order %s and %s", kind(a), kind(b))
}

func kind(v any) string {
	if _, ok := number(v); ok {
		return "number"
	}
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	if _, ok := asList(v); ok {
		return "list"
	}
	return "object"
}

// number reads every Go shape a JSON number takes here: float64 from
// encoding/json, json.Number from a UseNumber decoder, ints from Go callers.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// asList accepts []any from decoded JSON and any other Go slice or array.
func asList(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.Slice {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}
