package builtin

import "github.com/stella-ops/stella/gate"

// DefaultConfig is the gate set used when an environment has no
// configuration of its own: severity thresholds, KEV, the aggregate
// budget, VEX trust by tier, freeze windows and the environment's
// approvals, each with its built-in defaults. EPSS and cve-delta need data
// a first installation may lack (an EPSS feed, a deployed baseline), and a
// policy needs a bundle, so they are opt-in.
func DefaultConfig() gate.Config {
	return gate.Config{Gates: []gate.GateConfig{
		{ID: TypeSecurityThresholds, Type: TypeSecurityThresholds},
		{ID: TypeKEV, Type: TypeKEV},
		{ID: TypeAggregate, Type: TypeAggregate},
		{ID: TypeVEXTrust, Type: TypeVEXTrust},
		{ID: TypeFreezeWindow, Type: TypeFreezeWindow},
		{ID: TypeApprovals, Type: TypeApprovals},
	}}
}
