package step

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

var builtinTypes = []string{"approval", "deploy", "health-check", "manual", "notify",
	"policy-gate", "rollback", "script", "security-gate", "wait"}

func TestBuiltinsRegistersTheTenTypes(t *testing.T) {
	r := Builtins(Deps{})
	if got := r.Types(); !slices.Equal(got, builtinTypes) {
		t.Fatalf("Types = %v, want %v", got, builtinTypes)
	}
}

func TestBuiltinsRefuseUnknownConfigFields(t *testing.T) {
	r := Builtins(Deps{})
	for _, typ := range builtinTypes {
		s, _ := r.Lookup(typ)
		_, err := s.Run(context.Background(), Input{RunID: "r", NodeID: "n", Config: json.RawMessage(`{"bogusField": 1}`)})
		if err == nil || !strings.Contains(err.Error(), "config.bogusField") {
			t.Errorf("%s: err %v, want one naming config.bogusField", typ, err)
		}
		if IsRetriable(err) {
			t.Errorf("%s: a bad config must not be retriable", typ)
		}
	}
}

func TestBuiltinsWithoutTheirDependency(t *testing.T) {
	r := Builtins(Deps{})
	in := Input{RunID: "r", NodeID: "n", Inputs: map[string]any{"release": "shop@1.0.0", "environment": "prod"}}
	for typ, tc := range map[string]struct{ config, want string }{
		"security-gate": {`{}`, "no decider configured"},
		"policy-gate":   {`{}`, "no decider configured"},
		"approval":      {`{"count": 1}`, "no approvals configured"},
		"manual":        {`{"prompt": "go?"}`, "no approvals configured"},
		"deploy":        {`{}`, "no deployer configured"},
		"rollback":      {`{}`, "no deployer configured"},
		"notify":        {`{"integration": "chat", "template": "hi"}`, "no notifier configured"},
	} {
		s, _ := r.Lookup(typ)
		in.Config = json.RawMessage(tc.config)
		_, err := s.Run(context.Background(), in)
		if err == nil || err.Error() != tc.want || IsRetriable(err) {
			t.Errorf("%s: err %v (retriable %v), want final %q", typ, err, IsRetriable(err), tc.want)
		}
	}
}
