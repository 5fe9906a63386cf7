package workflow

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
)

// NewRun starts the state of a run of t: t is validated (without step
// types), declared inputs missing from inputs take their default, and a
// declared input with a null default that is not given is refused. Inputs
// the template does not declare are kept, because the engine always passes
// its context (release, environment, promotion, tenant).
func NewRun(id string, t Template, inputs map[string]any) (*Run, error) {
	t.Nodes = append([]Node(nil), t.Nodes...) // Validate fills defaults: leave the caller's template alone
	if err := Validate(&t, nil); err != nil {
		return nil, err
	}
	in := maps.Clone(inputs)
	if in == nil && len(t.Inputs) > 0 {
		in = map[string]any{}
	}
	v := &validator{}
	for k, def := range t.Inputs {
		if _, given := in[k]; given {
			continue
		}
		if def == nil {
			v.add("inputs."+k, "is required")
			continue
		}
		in[k] = def
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r := &Run{ID: id, Template: t, Inputs: in, Limit: DefaultLimit, State: RunPending, Nodes: make([]NodeRun, len(t.Nodes))}
	for i, n := range t.Nodes {
		r.Nodes[i] = NodeRun{ID: n.ID, State: NodePending}
	}
	return r, nil
}

// Next applies rules 2, 7 and 3: it skips the nodes that will not run,
// lists the ready nodes to start within the free slots, and settles the run
// state. It changes no node to running (Started does), so calling it twice
// gives the same plan. Waiting nodes hold no slot: an approval may wait for
// days.
func (r *Run) Next(now time.Time) Plan {
	if r.final() {
		return Plan{Done: true}
	}
	now = now.UTC()
	if r.State == RunPending {
		r.State = RunRunning
	}
	var ready []string
	var wake time.Time
	if r.Error == "" {
		idx, order := r.graph()
		for _, i := range order {
			n, node := &r.Nodes[i], &r.Template.Nodes[i]
			if n.State != NodePending {
				continue
			}
			switch r.readiness(node, idx) {
			case blocked:
				continue
			case skip:
				r.skip(n, now)
				continue
			}
			if n.Attempts == 0 && node.When != nil {
				ok, err := node.When.Eval(r)
				if err != nil {
					r.finalFailure(i, "when: "+err.Error(), now)
					continue
				}
				if !ok {
					r.skip(n, now)
					continue
				}
			}
			if n.NotBefore.After(now) {
				if wake.IsZero() || n.NotBefore.Before(wake) {
					wake = n.NotBefore
				}
				continue
			}
			ready = append(ready, n.ID)
		}
	}
	sort.Strings(ready)
	free := r.limit() - r.count(NodeRunning)
	if free < 0 {
		free = 0
	}
	if len(ready) > free {
		ready = ready[:free]
	}
	if len(ready) == 0 {
		ready = nil
	}
	r.settle(len(ready) > 0 || !wake.IsZero())
	if r.final() {
		return Plan{Done: true}
	}
	return Plan{Start: ready, Wake: wake}
}

// Started records that the engine started an attempt of node: pending →
// running with Attempts+1, or waiting → running for a step re-run because
// it was poked (the same attempt goes on, so Attempts stays).
func (r *Run) Started(node string, now time.Time) error {
	n := r.Node(node)
	if n == nil {
		return &fault.NotFoundError{Kind: "workflow node", Key: node}
	}
	if r.final() {
		return &fault.ConflictError{Kind: "workflow node", Key: node, Reason: "run is " + string(r.State)}
	}
	now = now.UTC()
	switch {
	case n.State == NodePending && n.NotBefore.After(now):
		return &fault.ConflictError{Kind: "workflow node", Key: node, Reason: "retry not before " + n.NotBefore.Format(time.RFC3339)}
	case n.State == NodePending && r.Error != "":
		return &fault.ConflictError{Kind: "workflow node", Key: node, Reason: "run is failing"}
	case n.State == NodePending:
		idx, _ := r.graph()
		if r.readiness(&r.Template.Nodes[idx[node]], idx) != ready {
			return &fault.ConflictError{Kind: "workflow node", Key: node, Reason: "dependencies not done"}
		}
		n.Attempts++
	case n.State == NodeWaiting:
	default:
		return &fault.ConflictError{Kind: "workflow node", Key: node, Reason: "node is " + string(n.State) + ", not pending"}
	}
	n.State, n.StartedAt, n.NotBefore, n.Error = NodeRunning, now, time.Time{}, ""
	r.State = RunRunning
	return nil
}

// Finished records how an attempt of a running (or waiting) node ended,
// applying rules 4–6. A timeout is reported by the engine as a Retriable
// result with Err "timeout after Ns" (rule 5). A node that was running when
// the run was cancelled ends succeeded or cancelled.
func (r *Run) Finished(node string, res Result, now time.Time) error {
	i := r.index(node)
	if i < 0 {
		return &fault.NotFoundError{Kind: "workflow node", Key: node}
	}
	n := &r.Nodes[i]
	if n.State != NodeRunning && n.State != NodeWaiting {
		return &fault.ConflictError{Kind: "workflow node", Key: node, Reason: "node is " + string(n.State) + ", not running"}
	}
	now = now.UTC()
	if res.Outputs != nil {
		n.Outputs = res.Outputs
	}
	if r.State == RunCancelled {
		n.State, n.FinishedAt, n.Error = NodeSucceeded, now, res.Err
		if res.Err != "" || res.Waiting {
			n.State = NodeCancelled
		}
		return nil
	}
	switch {
	case res.Err != "":
		n.Error = res.Err
		retry := r.Template.Nodes[i].Retry.withDefaults()
		if res.Retriable && n.Attempts < retry.MaxAttempts && r.Error == "" {
			n.State = NodePending
			n.NotBefore = now.Add(Backoff(retry, n.Attempts))
		} else {
			r.finalFailure(i, res.Err, now)
		}
	case res.Waiting:
		n.State = NodeWaiting
	default:
		n.State, n.FinishedAt = NodeSucceeded, now
	}
	r.Next(now)
	return nil
}

// Cancel cancels the run: pending and waiting nodes are cancelled, running
// ones are listed for the engine to cancel.
func (r *Run) Cancel(now time.Time) Plan {
	if r.final() {
		return Plan{Done: true}
	}
	now = now.UTC()
	var running []string
	for i := range r.Nodes {
		n := &r.Nodes[i]
		switch n.State {
		case NodePending, NodeWaiting:
			n.State, n.FinishedAt = NodeCancelled, now
		case NodeRunning:
			running = append(running, n.ID)
		}
	}
	sort.Strings(running)
	r.State = RunCancelled
	return Plan{Cancel: running, Done: true}
}

// Node returns the state of node id, nil if the template has none.
func (r *Run) Node(id string) *NodeRun {
	if i := r.index(id); i >= 0 {
		return &r.Nodes[i]
	}
	return nil
}

// Lookup resolves "inputs.<k>", "nodes.<id>.state" and
// "nodes.<id>.outputs.<key>"; a key is first taken whole (it may contain
// dots), then as a dotted path into nested objects.
func (r *Run) Lookup(ref string) (any, bool) {
	if k, ok := strings.CutPrefix(ref, "inputs."); ok {
		v, ok := r.Inputs[k]
		return v, ok
	}
	rest, ok := strings.CutPrefix(ref, "nodes.")
	if !ok {
		return nil, false
	}
	id, tail, _ := strings.Cut(rest, ".")
	n := r.Node(id)
	if n == nil {
		return nil, false
	}
	if tail == "state" {
		return string(n.State), true
	}
	key, ok := strings.CutPrefix(tail, "outputs.")
	if !ok {
		return nil, false
	}
	return dig(n.Outputs, key)
}

func dig(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for i := strings.IndexByte(key, '.'); i >= 0; i = nextDot(key, i) {
		if sub, ok := m[key[:i]].(map[string]any); ok {
			if v, ok := dig(sub, key[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

func nextDot(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// Outputs resolves the template's outputs; refs without a value are left out.
func (r *Run) Outputs() map[string]any {
	out := map[string]any{}
	for name, ref := range r.Template.Outputs {
		if v, ok := r.Lookup(ref); ok {
			out[name] = v
		}
	}
	return out
}

type readiness int

const (
	blocked readiness = iota
	ready
	skip
)

// readiness is rule 2; a dependency failed with onFailure continue counts
// as succeeded.
func (r *Run) readiness(node *Node, idx map[string]int) readiness {
	if len(node.DependsOn) == 0 {
		return ready
	}
	skipped := 0
	for _, d := range node.DependsOn {
		i := idx[d]
		switch r.Nodes[i].State {
		case NodeSucceeded:
		case NodeSkipped:
			skipped++
		case NodeFailed:
			if r.Template.Nodes[i].OnFailure != OnFailureContinue {
				return blocked
			}
		default:
			return blocked
		}
	}
	if skipped == len(node.DependsOn) {
		return skip
	}
	return ready
}

// finalFailure is rule 6 for node i.
func (r *Run) finalFailure(i int, msg string, now time.Time) {
	n := &r.Nodes[i]
	n.State, n.Error, n.FinishedAt, n.NotBefore = NodeFailed, msg, now, time.Time{}
	policy := r.Template.Nodes[i].OnFailure
	if policy == OnFailureContinue {
		return
	}
	if policy == OnFailureRollback {
		r.Rollback = true
	}
	if r.Error == "" {
		r.Error = fmt.Sprintf("node %q failed: %s", n.ID, msg)
	}
	for j := range r.Nodes {
		if s := r.Nodes[j].State; s == NodePending || s == NodeWaiting {
			r.Nodes[j].State, r.Nodes[j].FinishedAt, r.Nodes[j].NotBefore = NodeCancelled, now, time.Time{}
		}
	}
}

// settle sets the run state from the node states (rule 8). A node failed
// with onFailure continue does not fail the run.
func (r *Run) settle(canMove bool) {
	running, waiting, open := 0, 0, 0
	for _, n := range r.Nodes {
		switch n.State {
		case NodeRunning:
			running++
		case NodeWaiting:
			waiting++
		case NodePending:
			open++
		}
	}
	switch {
	case running > 0 || canMove:
		r.State = RunRunning
	case r.Error != "":
		r.State = RunFailed
	case waiting > 0:
		r.State = RunWaiting
	case open > 0:
		// Unreachable by rule 2 unless the run was edited by hand.
		r.State, r.Error = RunFailed, "no node can start"
	default:
		r.State = RunSucceeded
	}
}

func (r *Run) skip(n *NodeRun, now time.Time) {
	n.State, n.FinishedAt = NodeSkipped, now
}

func (r *Run) final() bool {
	return r.State == RunSucceeded || r.State == RunFailed || r.State == RunCancelled
}

func (r *Run) limit() int {
	if r.Limit <= 0 {
		return DefaultLimit
	}
	return r.Limit
}

func (r *Run) count(s NodeState) int {
	c := 0
	for _, n := range r.Nodes {
		if n.State == s {
			c++
		}
	}
	return c
}

func (r *Run) index(id string) int {
	for i, n := range r.Template.Nodes {
		if n.ID == id {
			return i
		}
	}
	return -1
}

// graph indexes the node ids and sorts the template topologically, so one
// pass of Next sees a skip propagate to every descendant. It is rebuilt on
// each call rather than cached: a Run is plain data the engine decodes.
func (r *Run) graph() (idx map[string]int, order []int) {
	idx = make(map[string]int, len(r.Template.Nodes))
	for i, n := range r.Template.Nodes {
		idx[n.ID] = i
	}
	deps := make([][]int, len(r.Template.Nodes))
	for i, n := range r.Template.Nodes {
		for _, d := range n.DependsOn {
			deps[i] = append(deps[i], idx[d])
		}
	}
	return idx, topoOrder(deps)
}
