package workflow

import (
	"encoding/json"
	"time"
)

// Template is release.md §3's WorkflowTemplate.
type Template struct {
	Name        string            `json:"name"`
	Version     int               `json:"version,omitempty"` // assigned by the store at save; 0 in a file
	Description string            `json:"description,omitempty"`
	Inputs      map[string]any    `json:"inputs,omitempty"` // declared inputs → default value (null = required)
	Nodes       []Node            `json:"nodes"`
	Outputs     map[string]string `json:"outputs,omitempty"` // name → ref
}

// Node is one step of a template.
type Node struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Name           string          `json:"name,omitempty"`
	Config         json.RawMessage `json:"config,omitempty"` // the step decodes it
	DependsOn      []string        `json:"dependsOn,omitempty"`
	When           *Condition      `json:"when,omitempty"`
	TimeoutSeconds int             `json:"timeoutSeconds,omitempty"` // 0 → 600
	Retry          Retry           `json:"retry,omitempty"`
	OnFailure      OnFailure       `json:"onFailure,omitempty"` // "" → fail
}

// Retry is a node's retry policy; zero fields take the defaults of §3.
type Retry struct {
	MaxAttempts       int     `json:"maxAttempts,omitempty"`       // 0 → 1
	BackoffSeconds    float64 `json:"backoffSeconds,omitempty"`    // 0 → 5
	Multiplier        float64 `json:"multiplier,omitempty"`        // 0 → 2
	MaxBackoffSeconds float64 `json:"maxBackoffSeconds,omitempty"` // 0 → 300
}

// OnFailure says what a node's final failure does to the run (rule 6).
type OnFailure string

const (
	OnFailureFail     OnFailure = "fail"
	OnFailureContinue OnFailure = "continue"
	OnFailureRollback OnFailure = "rollback"
)

// Condition is a structured `when`: exactly one of All, Any, Not or Ref.
type Condition struct {
	All   []Condition `json:"all,omitempty"`
	Any   []Condition `json:"any,omitempty"`
	Not   *Condition  `json:"not,omitempty"`
	Ref   string      `json:"ref,omitempty"`
	Op    string      `json:"op,omitempty"`
	Value any         `json:"value,omitempty"`
}

// Scope resolves refs for conditions; a *Run is a Scope.
type Scope interface {
	Lookup(ref string) (any, bool)
}

// RunState is the state of a run (rule 8).
type RunState string

const (
	RunPending   RunState = "pending"
	RunRunning   RunState = "running"
	RunWaiting   RunState = "waiting"
	RunSucceeded RunState = "succeeded"
	RunFailed    RunState = "failed"
	RunCancelled RunState = "cancelled"
)

// NodeState is the state of a node in a run (rule 8).
type NodeState string

const (
	NodePending   NodeState = "pending"
	NodeRunning   NodeState = "running"
	NodeWaiting   NodeState = "waiting"
	NodeSucceeded NodeState = "succeeded"
	NodeFailed    NodeState = "failed"
	NodeSkipped   NodeState = "skipped"
	NodeCancelled NodeState = "cancelled"
)

// Run is one execution of a template; the engine persists it as JSON.
type Run struct {
	ID       string         `json:"id"`
	Template Template       `json:"template"`
	Inputs   map[string]any `json:"inputs,omitempty"`
	Limit    int            `json:"limit"` // concurrent nodes, default 4
	State    RunState       `json:"state"`
	Nodes    []NodeRun      `json:"nodes"` // template order
	Error    string         `json:"error,omitempty"`
	Rollback bool           `json:"rollback,omitempty"` // an onFailure: rollback node failed finally
}

// NodeRun is the state of one node in a run.
type NodeRun struct {
	ID         string         `json:"id"`
	State      NodeState      `json:"state"`
	Attempts   int            `json:"attempts,omitempty"`
	NotBefore  time.Time      `json:"notBefore,omitzero"` // retry wait
	Outputs    map[string]any `json:"outputs,omitempty"`
	Error      string         `json:"error,omitempty"`
	StartedAt  time.Time      `json:"startedAt,omitzero"`
	FinishedAt time.Time      `json:"finishedAt,omitzero"`
}

// Result is what one attempt of a node ended with.
type Result struct {
	Outputs   map[string]any
	Err       string
	Retriable bool
	Waiting   bool
}

// Plan is what the engine must do after Next or Cancel.
type Plan struct {
	Start  []string  // node ids to start now (node-id order, within the free slots)
	Wake   time.Time // earliest NotBefore of a node waiting to retry (zero: none)
	Cancel []string  // running nodes whose context must be cancelled
	Done   bool      // the run reached a final state
}
