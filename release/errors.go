package release

import (
	"fmt"
	"sort"

	"github.com/stella-ops/stella/fault"
)

// validator collects field errors.
type validator struct{ fields []fault.FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.fields = append(v.fields, fault.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) check(ok bool, field, format string, args ...any) {
	if !ok {
		v.add(field, format, args...)
	}
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	sort.SliceStable(v.fields, func(i, j int) bool { return v.fields[i].Field < v.fields[j].Field })
	return &fault.ValidationError{Fields: v.fields}
}

func invalid(field, format string, args ...any) error {
	v := validator{}
	v.add(field, format, args...)
	return v.err()
}

// RegistryError is a registry that answered, but with an error (for example
// refused credentials). It names the registry.
type RegistryError struct {
	System string
	Err    error
}

func (e *RegistryError) Error() string { return fmt.Sprintf("%s: %v", e.System, e.Err) }
func (e *RegistryError) Unwrap() error { return e.Err }
