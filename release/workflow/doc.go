// Package workflow is the pure model and scheduler of release.md §3: a
// workflow template is a DAG of typed steps, and a Run is its state machine.
// The package reads no clock, starts no goroutine and does no I/O: the
// engine passes the time in, starts the nodes a Plan names, reports each
// attempt with Started and Finished, and persists the Run as JSON between
// steps (it round-trips byte for byte).
//
//	run, _ := workflow.NewRun("run-1", workflow.DefaultDeploy(), inputs)
//	for plan := run.Next(now); !plan.Done; plan = run.Next(now) {
//		// start plan.Start, sleep until a result or plan.Wake, then
//		// run.Started(id, now) / run.Finished(id, result, now)
//	}
//
// Choices the spec leaves open:
//   - a `when` whose ref has no value is false whatever the op (use not to
//     test absence); comparing different kinds is an error, which fails the
//     node under its onFailure policy;
//   - a node failed with onFailure continue satisfies its dependents as if
//     it had succeeded, and the run can still succeed;
//   - waiting nodes (approval, manual) hold no concurrency slot, and a
//     waiting node started again resumes the same attempt;
//   - a timeout is the engine's to detect: it reports it as a Retriable
//     Result with Err "timeout after Ns" (rule 5).
package workflow
