package policy_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/gate/policy"
)

func Example() {
	b, err := policy.FromFiles(map[string][]byte{"release.rego": []byte(`package stella.release

deny contains {"code": "kev-in-prod", "message": sprintf("%s is known-exploited", [f.advisoryId])} if {
	input.environment.tier == "production"
	some f in input.findings
	f.kev != null
}
`)})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p, err := policy.Prepare(ctx, b)
	if err != nil {
		panic(err)
	}
	input := map[string]any{
		"environment": map[string]any{"tier": "production"},
		"findings":    []any{map[string]any{"advisoryId": "CVE-2026-1234", "kev": map[string]any{"dateAdded": "2026-02-01"}}},
	}
	out, err := p.Eval(ctx, input, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err) // an *policy.Error: err.(*policy.Error).ReasonCode() is the gate's reason
	}
	for _, r := range out.Deny {
		fmt.Printf("policy.%s: %s\n", r.Code, r.Message)
	}
	// Output: policy.kev-in-prod: CVE-2026-1234 is known-exploited
}
