// Package step holds the steps a workflow node runs: the Step interface,
// a Registry of step types and the built-ins of release.md §3
// (security-gate, policy-gate, approval, manual, deploy, health-check,
// rollback, notify, wait, script).
//
// A step sees one attempt's Input and returns an Output or an error; it
// marks an error Retriable when another attempt may succeed. It knows
// nothing of the DAG, the store or the clock of the engine that runs it.
//
// Registering a custom step next to the built-ins:
//
//	reg := step.Builtins(step.Deps{Deployer: d, Notifier: n})
//	reg.Register("echo", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
//		var cfg struct{ Text string `json:"text"` }
//		if err := step.DecodeConfig(in.Config, &cfg); err != nil {
//			return step.Output{}, err // a bad config is final
//		}
//		fmt.Fprintln(in.Log, cfg.Text)
//		return step.Output{Values: map[string]any{"text": cfg.Text}}, nil
//	}))
//
// A step must be safe to run again for the same node: the engine re-runs
// an attempt whose result it never recorded (crash) and re-runs waiting
// steps when poked.
package step
