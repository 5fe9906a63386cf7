package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// SettingError is a gate setting that cannot be used. Setting is the
// settings key at fault ("graceDays", "windows.start"), empty when the
// settings as a whole are wrong.
type SettingError struct {
	Type    string // gate type
	Setting string
	Problem string
}

func (e *SettingError) Error() string {
	var b strings.Builder
	if e.Type != "" {
		b.WriteString(e.Type + ": ")
	}
	if e.Setting != "" {
		fmt.Fprintf(&b, "setting %q: ", e.Setting)
	} else {
		b.WriteString("settings: ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// settingErr reports a problem with one setting; the factory fills in the
// gate type.
func settingErr(setting, format string, args ...any) error {
	return &SettingError{Setting: setting, Problem: fmt.Sprintf(format, args...)}
}

// decodeSettings decodes settings over dst, which holds the defaults, so a
// missing key keeps its default. It goes through JSON so that settings read
// from YAML, JSON or Go literals (numbers as int or float64) decode alike,
// and it refuses unknown keys: a misspelt setting would otherwise be
// silently replaced by its default.
func decodeSettings(typ string, settings map[string]any, dst any) error {
	if len(settings) == 0 {
		return nil
	}
	raw, err := json.Marshal(settings)
	if err != nil {
		return &SettingError{Type: typ, Problem: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &SettingError{Type: typ, Setting: typeErr.Field,
			Problem: fmt.Sprintf("want %s, got %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &SettingError{Type: typ, Setting: strings.Trim(name, `"`), Problem: "unknown setting"}
	}
	return &SettingError{Type: typ, Problem: err.Error()}
}

// jsonKind names a Go kind the way a configuration author thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "int", "int64":
		return "a whole number"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value"
	}
	return "a " + kind
}
