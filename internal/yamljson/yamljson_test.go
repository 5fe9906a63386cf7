package yamljson

import (
	"strings"
	"testing"
)

type doc struct {
	Name  string         `json:"name"`
	Count float64        `json:"count"`
	Tags  []string       `json:"tags"`
	More  map[string]any `json:"more"`
}

func TestYAMLAndJSONDecodeAlike(t *testing.T) {
	var a, b doc
	if err := Unmarshal([]byte("name: x\ncount: 2\ntags: [a, b]\nmore: {n: 1}\n"), &a); err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal([]byte(`{"name":"x","count":2,"tags":["a","b"],"more":{"n":1}}`), &b); err != nil {
		t.Fatal(err)
	}
	if a.Name != "x" || a.Count != 2 || len(a.Tags) != 2 || a.More["n"] != 1.0 || b.More["n"] != 1.0 || a.Name != b.Name {
		t.Fatalf("yaml %+v, json %+v", a, b)
	}
}

func TestRefusesUnknownFieldsAndBadInput(t *testing.T) {
	var d doc
	for in, want := range map[string]string{
		"name: x\nnmae: y\n": "nmae",
		"name: [":            "",
		"":                   "empty",
	} {
		err := Unmarshal([]byte(in), &d)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want one mentioning %q", in, err, want)
		}
	}
}
