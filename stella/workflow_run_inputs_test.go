package main

import "testing"

func TestParseInputs(t *testing.T) {
	for _, c := range []struct {
		pairs []string
		want  string
	}{
		{nil, `{}`},
		{[]string{"announce=true", "replicas=3", "name=api", `tag="3"`, "expr=a=b"}, `{"announce":true,"expr":"a=b","name":"api","replicas":3,"tag":"3"}`},
	} {
		got, err := parseInputs(c.pairs)
		if err != nil || got != c.want {
			t.Errorf("parseInputs(%q) = %s, %v; want %s", c.pairs, got, err, c.want)
		}
	}
	for _, bad := range []string{"novalue", "=x", " =x"} {
		if _, err := parseInputs([]string{bad}); err == nil {
			t.Errorf("parseInputs(%q) succeeded", bad)
		}
	}
}
