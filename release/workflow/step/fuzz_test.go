package step

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzConfigs feeds the same bytes to every config decoder: none may panic,
// and every refusal must be a final error.
func FuzzConfigs(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `{"script":"echo hi","env":{"A":"b"},"timeoutSeconds":3}`,
		`{"checks":[{"http":"http://a/","statusMin":200}],"attempts":2}`, `{"gates":["x"],"onDeny":"continue"}`,
		`{"count":2,"groups":["a"]}`, `{"seconds":1e400}`, `{"template":"{{.Inputs.x}}","integration":"c"}`, `[`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		check := func(what string, err error) {
			if err != nil && IsRetriable(err) {
				t.Fatalf("%s: a config error is retriable: %v", what, err)
			}
		}
		_, err := decodeScript(raw)
		check("script", err)
		_, err = decodeHealth(raw)
		check("health-check", err)
		var n notifyConfig
		if err := DecodeConfig(raw, &n); err == nil {
			_, err = parseMessage(n.Template)
			check("notify", err)
		}
		var g securityGateConfig
		check("security-gate", DecodeConfig(raw, &g))
		var a approvalConfig
		check("approval", DecodeConfig(raw, &a))
		// wait decodes and validates without sleeping when its config is bad.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = wait(ctx, Input{Config: raw})
		if err != nil && err != context.Canceled {
			check("wait", err)
		}
	})
}

// FuzzScriptOutputs parses what a script wrote to $STELLA_OUTPUT: outside data.
func FuzzScriptOutputs(f *testing.F) {
	f.Add([]byte("a=1\nb=2\n"), "s3cret")
	f.Add([]byte("tok=s3cret\r\n\n=x"), "s")
	f.Fuzz(func(t *testing.T, data []byte, secret string) {
		values, err := parseOutputs(data, masker(map[string]string{"S": secret}))
		if err != nil {
			return
		}
		if _, has := values["exitCode"]; has {
			t.Fatal("exitCode taken from the script")
		}
	})
}
