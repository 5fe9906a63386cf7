// Package builtin provides the built-in gate types of gate.md §2:
// security-thresholds, kev, epss, aggregate, cve-delta, vex-trust,
// freeze-window, schedule-window, approvals and manual, each with its
// settings, their defaults and their reason codes. [DefaultConfig] is the
// gate set of an environment without a configuration of its own.
//
// Package gate knows no gate type but the policy type; hand it these:
//
//	eng, err := gate.NewEngine(ctx, gate.WithConfig(builtin.DefaultConfig()),
//		gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults))
//
// Package decide does so by default. Add plugin types to [Types] to
// extend the built-ins; a bad setting is a [*SettingError].
package builtin
