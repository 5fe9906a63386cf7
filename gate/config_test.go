package gate_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
)

const engConfigYAML = `
gates:
  - id: sec
    type: security-thresholds
    settings: {failSeverity: high}
    environments:
      production: {onlyFixable: false}
      dev: {failSeverity: critical, onlyFixable: true}
  - id: kev
    type: kev
    settings:
      graceDays: 7
`

const engConfigJSON = `{"gates":[
 {"id":"kev","type":"kev","settings":{"graceDays":7}},
 {"environments":{"dev":{"onlyFixable":true,"failSeverity":"critical"},"production":{"onlyFixable":false}},
  "settings":{"failSeverity":"high"},"type":"security-thresholds","id":"sec"}]}`

func TestConfigYAMLAndJSONHaveOneDigest(t *testing.T) {
	y, err := gate.ParseConfig([]byte(engConfigYAML))
	if err != nil {
		t.Fatal(err)
	}
	j, err := gate.ParseConfig([]byte(engConfigJSON))
	if err != nil {
		t.Fatal(err)
	}
	dy, _ := y.Digest()
	dj, _ := j.Digest()
	if dy != dj || !strings.HasPrefix(dy, "sha256:") {
		t.Fatalf("digests differ: %s %s", dy, dj)
	}
	if err := y.Validate(builtin.Types()); err != nil {
		t.Fatal(err)
	}
	j.Gates[1].Settings["failSeverity"] = "critical"
	if d, _ := j.Digest(); d == dy {
		t.Fatal("a settings change kept the digest")
	}
}

func TestConfigResolveMergesPerEnvironment(t *testing.T) {
	cfg, err := gate.ParseConfig([]byte(engConfigYAML))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		// production matches by tier; dev by name over the development tier.
		"prod": {"failSeverity": "high", "warnSeverity": "high", "onlyFixable": false, "onlyReachable": false},
		"dev":  {"failSeverity": "critical", "warnSeverity": "high", "onlyFixable": true, "onlyReachable": false},
	}
	envs := map[string]gate.Environment{"prod": {Name: "prod", Tier: "production"}, "dev": {Name: "dev", Tier: "development"}}
	for name, env := range envs {
		rs := cfg.Resolve(env, builtin.Defaults)
		if len(rs) != 2 || rs[0].ID != "kev" || rs[1].ID != "sec" {
			t.Fatalf("%s: %+v", name, rs)
		}
		if !reflect.DeepEqual(rs[1].Settings, want[name]) {
			t.Errorf("%s: sec settings %v, want %v", name, rs[1].Settings, want[name])
		}
		if rs[0].Settings["graceDays"] != 7.0 || rs[0].Settings["allowGracePeriod"] != true {
			t.Errorf("%s: kev settings %v: configured over defaults", name, rs[0].Settings)
		}
	}
	if cfg.Gates[0].Settings["failSeverity"] != "high" {
		t.Fatal("Resolve modified the configuration")
	}
}

func TestConfigValidation(t *testing.T) {
	for name, src := range map[string]string{
		"unknown type":    `{"gates":[{"id":"x","type":"nope"}]}`,
		"duplicate id":    `{"gates":[{"id":"x","type":"kev"},{"id":"x","type":"epss"}]}`,
		"bad setting":     `{"gates":[{"id":"x","type":"epss","settings":{"threshold":"high"}}]}`,
		"bad env setting": `{"gates":[{"id":"x","type":"epss","environments":{"prod":{"threshold":"high"}}}]}`,
		"unknown field":   `{"gates":[{"id":"x","type":"kev","setting":{}}]}`,
		"bad policy":      `{"gates":[{"id":"x","type":"policy","settings":{"bundle":"latest"}}]}`,
	} {
		cfg, err := gate.ParseConfig([]byte(src))
		if err == nil {
			err = cfg.Validate(builtin.Types())
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
