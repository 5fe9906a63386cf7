// Package workflow is the pure model and scheduler of release.md §3: a
// workflow template is a DAG of typed steps, and a Run is its state machine.
// The package reads no clock, starts no goroutine and does no I/O: the
// engine passes the time in, starts the nodes a Plan names, and reports each
// attempt back with Started and Finished.
package workflow
