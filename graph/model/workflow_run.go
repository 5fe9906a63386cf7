package model

import (
	"time"

	"github.com/stella-ops/stella/release/workflow/runner"
)

// WorkflowRun is a run as the API shows it; its fields are resolved from
// Info (template, nodes, JSON renderings).
type WorkflowRun struct {
	Info      *runner.RunInfo
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WorkflowRunNode is one node of a run with its template definition.
type WorkflowRunNode struct {
	Info  *runner.RunInfo
	Index int // in Info.Run.Nodes and Info.Run.Template.Nodes
}
