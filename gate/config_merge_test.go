package gate

import (
	"reflect"
	"testing"
)

func TestMergeSettingsIsDeep(t *testing.T) {
	base := map[string]any{"a": map[string]any{"x": 1.0, "y": 2.0}, "l": []any{"p"}}
	got := mergeSettings(base, map[string]any{"a": map[string]any{"y": 3.0}, "l": []any{"q"}})
	want := map[string]any{"a": map[string]any{"x": 1.0, "y": 3.0}, "l": []any{"q"}}
	if !reflect.DeepEqual(got, want) || base["a"].(map[string]any)["y"] != 2.0 {
		t.Fatalf("got %v (base %v)", got, base)
	}
}
