// Package runner executes workflow runs durably on River, the job queue, in
// the store's database: SQLite embedded, or PostgreSQL shared by replicas.
//
//	r, _ := runner.New(db, step.Builtins(deps), runner.WithEvents(publish))
//	_ = r.Start(ctx)
//	id, _ := r.Submit(ctx, "acme", workflow.DefaultDeploy(), inputs)
//	run, _ := r.Wait(ctx, "acme", id)
//
// The DAG semantics are package workflow's. A run is one row (the
// workflow.Run as JSON, versioned); each node attempt is a River job. The
// transaction that records an attempt's result also runs the Committer,
// starts the nodes that became ready, inserts their jobs and completes the
// attempt's own job, so a crash never loses or repeats a hand-off.
//
// Exactly once: a started node holds a lease, a token that its job carries.
// The job's worker takes the lease (owner, expiry) before running the step
// and renews it while the step runs; only the owner can record the result.
// A second delivery of the job (River's rescuer after a crash, or after
// RescueAfter while the owner still runs) finds the lease held and snoozes,
// or finds it gone and does nothing. After a kill -9 the lease expires, River
// rescues the job once its leader's lease has expired too (about 15 s), and
// the next delivery runs the attempt again: the step may run twice, its
// Committer effect is kept once.
//
// Cancel cancels a running step's context at once in this process, and
// within a third of the lease on other replicas. Wait returns when the run
// is final or waiting for Poke. Events are numbered per run in commit order.
//
// Approve records a person's approval of a waiting approval or manual node
// as an approval event and runs the step again; the Runner is the steps'
// step.Approvals (LateApprovals hands it to a registry built first).
package runner
