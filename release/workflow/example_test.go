package workflow_test

import (
	"fmt"
	"time"

	"github.com/stella-ops/stella/release/workflow"
)

// The engine's loop: ask Next what to start, start it, report each attempt.
func Example() {
	run, err := workflow.NewRun("run-1", workflow.DefaultDeploy(), map[string]any{"release": "rel-7"})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for plan := run.Next(now); !plan.Done; plan = run.Next(now) {
		for _, id := range plan.Start {
			_ = run.Started(id, now)
			now = now.Add(time.Second) // the step runs
			_ = run.Finished(id, workflow.Result{Outputs: map[string]any{"ok": true}}, now)
			fmt.Println(id, run.Node(id).State)
		}
	}
	fmt.Println("run", run.State)
	// Output:
	// deploy succeeded
	// health-check succeeded
	// run succeeded
}
