// Package runner executes workflow runs durably on River, the job queue, on
// the store's database: SQLite embedded or PostgreSQL shared by replicas.
// The DAG semantics are package workflow's; the runner persists each run,
// runs every ready node as a River job and commits each node's result
// together with the jobs of the nodes it makes ready, so that a crash never
// loses or repeats a hand-off. A node lease (a token in the job, renewed by
// its live owner) makes a redelivered job a no-op, so each attempt's result
// and its Committer effect are recorded exactly once.
//
//	r, _ := runner.New(db, step.Builtins(deps), runner.WithEvents(publish))
//	_ = r.Start(ctx)
//	id, _ := r.Submit(ctx, "acme", workflow.DefaultDeploy(), inputs)
//	run, _ := r.Wait(ctx, "acme", id)
package runner
