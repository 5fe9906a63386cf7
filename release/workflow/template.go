package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/internal/yamljson"
)

// Defaults of §3, filled in by Validate.
const (
	DefaultTimeoutSeconds    = 600
	DefaultMaxAttempts       = 1
	DefaultBackoffSeconds    = 5
	DefaultMultiplier        = 2
	DefaultMaxBackoffSeconds = 300
	DefaultLimit             = 4

	maxMaxAttempts = 100
	maxTimeout     = 7 * 24 * 3600
)

// Node ids are plain words so that a ref "nodes.<id>.outputs.<key>" has
// exactly one reading.
var nodeID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var ops = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "in": true}

// ParseTemplate decodes a YAML or JSON template, refusing unknown fields,
// and validates it without checking step types (the caller knows them).
func ParseTemplate(data []byte) (Template, error) {
	var t Template
	if err := yamljson.Unmarshal(data, &t); err != nil {
		return Template{}, fault.Invalid("template", "%v", err)
	}
	if err := Validate(&t, nil); err != nil {
		return Template{}, err
	}
	return t, nil
}

// DefaultDeploy is the built-in template a component without
// deploymentTemplateId runs.
func DefaultDeploy() Template {
	t := Template{
		Name:        "default-deploy",
		Description: "deploy, then check health",
		Nodes: []Node{
			{ID: "deploy", Type: "deploy"},
			{ID: "health-check", Type: "health-check", DependsOn: []string{"deploy"}},
		},
	}
	if err := Validate(&t, nil); err != nil {
		panic(err) // a fixed literal: only a bug here can fail
	}
	return t
}

// Canonical is the RFC 8785 form of t without its Version, so that saving
// the same template twice is recognisable.
func Canonical(t Template) ([]byte, error) {
	t.Version = 0
	return canon.Marshal(t)
}

// Digest is "sha256:<hex>" of Canonical(t).
func Digest(t Template) (string, error) {
	b, err := Canonical(t)
	if err != nil {
		return "", err
	}
	return canon.SHA256(b), nil
}

// Backoff is the delay before attempt+1 after attempt failed (rule 4):
// min(backoff × multiplier^(attempt−1), maxBackoff). Zero fields take
// their defaults.
func Backoff(r Retry, attempt int) time.Duration {
	r = r.withDefaults()
	if attempt < 1 {
		attempt = 1
	}
	secs := math.Min(r.BackoffSeconds*math.Pow(r.Multiplier, float64(attempt-1)), r.MaxBackoffSeconds)
	return time.Duration(secs * float64(time.Second))
}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.BackoffSeconds == 0 {
		r.BackoffSeconds = DefaultBackoffSeconds
	}
	if r.Multiplier == 0 {
		r.Multiplier = DefaultMultiplier
	}
	if r.MaxBackoffSeconds == 0 {
		r.MaxBackoffSeconds = DefaultMaxBackoffSeconds
	}
	return r
}

// Validate checks t against rule 1 and fills in defaults. Every problem is
// reported, as a *fault.ValidationError whose fields are sorted paths such
// as "nodes[2].dependsOn[0]". knownType nil skips the step-type check.
func Validate(t *Template, knownType func(string) bool) error {
	v := &validator{}
	if strings.TrimSpace(t.Name) == "" {
		v.add("name", "is required")
	}
	for k := range t.Inputs {
		if k == "" {
			v.add("inputs", "an input name is empty")
		}
	}
	if len(t.Nodes) == 0 {
		v.add("nodes", "at least one node is required")
	}
	index := make(map[string]int, len(t.Nodes))
	for i := range t.Nodes {
		n := &t.Nodes[i]
		p := fmt.Sprintf("nodes[%d]", i)
		switch {
		case n.ID == "":
			v.add(p+".id", "is required")
		case !nodeID.MatchString(n.ID):
			v.add(p+".id", "%q: use 1-64 letters, digits, '-' or '_'", n.ID)
		default:
			if j, dup := index[n.ID]; dup {
				v.add(p+".id", "%q is also the id of nodes[%d]", n.ID, j)
			} else {
				index[n.ID] = i
			}
		}
		if n.Type == "" {
			v.add(p+".type", "is required")
		} else if knownType != nil && !knownType(n.Type) {
			v.add(p+".type", "unknown step type %q", n.Type)
		}
		fillNode(v, p, n)
	}
	deps := make([][]int, len(t.Nodes))
	for i, n := range t.Nodes {
		seen := map[string]bool{}
		for j, d := range n.DependsOn {
			p := fmt.Sprintf("nodes[%d].dependsOn[%d]", i, j)
			k, ok := index[d]
			switch {
			case d == n.ID:
				v.add(p, "node %q depends on itself", d)
			case seen[d]:
				v.add(p, "%q is listed twice", d)
			case !ok:
				v.add(p, "no node has id %q", d)
			default:
				deps[i] = append(deps[i], k)
			}
			seen[d] = true
		}
	}
	if c := cycleNode(deps); c >= 0 {
		v.add(fmt.Sprintf("nodes[%d].dependsOn", c), "cycle through node %q", t.Nodes[c].ID)
	}
	anc := ancestors(deps)
	for i, n := range t.Nodes {
		if n.When == nil {
			continue
		}
		refOK := func(ref string) string {
			if id, isNode := refNode(ref); isNode {
				k, ok := index[id]
				if !ok || !anc[i][k] {
					return fmt.Sprintf("%q is not an ancestor of node %q", id, n.ID)
				}
				return ""
			}
			return checkInputRef(t, ref)
		}
		checkCondition(v, fmt.Sprintf("nodes[%d].when", i), *n.When, refOK)
	}
	for name, ref := range t.Outputs {
		p := "outputs." + name
		if id, isNode := refNode(ref); isNode {
			if _, ok := index[id]; !ok {
				v.add(p, "no node has id %q", id)
			}
			continue
		}
		if msg := checkInputRef(t, ref); msg != "" {
			v.add(p, "%s", msg)
		}
	}
	return v.err()
}

func fillNode(v *validator, p string, n *Node) {
	if bytes.Equal(bytes.TrimSpace(n.Config), []byte("null")) {
		n.Config = nil
	}
	if len(n.Config) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(n.Config, &obj); err != nil {
			v.add(p+".config", "must be a JSON object")
		}
	}
	switch {
	case n.TimeoutSeconds == 0:
		n.TimeoutSeconds = DefaultTimeoutSeconds
	case n.TimeoutSeconds < 0 || n.TimeoutSeconds > maxTimeout:
		v.add(p+".timeoutSeconds", "%d is outside 1..%d", n.TimeoutSeconds, maxTimeout)
	}
	r := n.Retry
	if r.MaxAttempts < 0 || r.MaxAttempts > maxMaxAttempts {
		v.add(p+".retry.maxAttempts", "%d is outside 1..%d", r.MaxAttempts, maxMaxAttempts)
	}
	if r.BackoffSeconds < 0 || r.BackoffSeconds > 86400 {
		v.add(p+".retry.backoffSeconds", "%g is outside 0..86400", r.BackoffSeconds)
	}
	if r.Multiplier != 0 && (r.Multiplier < 1 || r.Multiplier > 10) {
		v.add(p+".retry.multiplier", "%g is outside 1..10", r.Multiplier)
	}
	if r.MaxBackoffSeconds < 0 || r.MaxBackoffSeconds > 86400 {
		v.add(p+".retry.maxBackoffSeconds", "%g is outside 0..86400", r.MaxBackoffSeconds)
	}
	n.Retry = r.withDefaults()
	if n.Retry.MaxBackoffSeconds < n.Retry.BackoffSeconds {
		v.add(p+".retry.maxBackoffSeconds", "%g is below backoffSeconds %g", n.Retry.MaxBackoffSeconds, n.Retry.BackoffSeconds)
	}
	switch n.OnFailure {
	case "":
		n.OnFailure = OnFailureFail
	case OnFailureFail, OnFailureContinue, OnFailureRollback:
	default:
		v.add(p+".onFailure", "%q is not fail, continue or rollback", n.OnFailure)
	}
}

func checkCondition(v *validator, p string, c Condition, refOK func(string) string) {
	kinds := 0
	for _, set := range []bool{c.All != nil, c.Any != nil, c.Not != nil, c.Ref != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		v.add(p, "needs exactly one of all, any, not or ref")
		return
	}
	switch {
	case c.All != nil || c.Any != nil:
		list, name := c.All, "all"
		if c.Any != nil {
			list, name = c.Any, "any"
		}
		if len(list) == 0 {
			v.add(p+"."+name, "is empty")
		}
		for i, sub := range list {
			checkCondition(v, fmt.Sprintf("%s.%s[%d]", p, name, i), sub, refOK)
		}
		if c.Op != "" || c.Value != nil {
			v.add(p, "op and value belong with ref")
		}
	case c.Not != nil:
		checkCondition(v, p+".not", *c.Not, refOK)
		if c.Op != "" || c.Value != nil {
			v.add(p, "op and value belong with ref")
		}
	default:
		if msg := refOK(c.Ref); msg != "" {
			v.add(p+".ref", "%s", msg)
		}
		if !ops[c.Op] {
			v.add(p+".op", "%q is not one of == != < <= > >= in", c.Op)
		} else if c.Op == "in" {
			if _, ok := asList(c.Value); !ok {
				v.add(p+".value", "op in needs a list")
			}
		}
	}
}

// refNode returns the node id of a "nodes.<id>.outputs.<key>" or
// "nodes.<id>.state" ref; isNode is false for anything else.
func refNode(ref string) (id string, isNode bool) {
	rest, ok := strings.CutPrefix(ref, "nodes.")
	if !ok {
		return "", false
	}
	id, tail, _ := strings.Cut(rest, ".")
	if tail == "state" || (strings.HasPrefix(tail, "outputs.") && len(tail) > len("outputs.")) {
		return id, true
	}
	return "", false
}

func checkInputRef(t *Template, ref string) string {
	k, ok := strings.CutPrefix(ref, "inputs.")
	if !ok {
		return fmt.Sprintf("%q is not inputs.<key>, nodes.<id>.outputs.<key> or nodes.<id>.state", ref)
	}
	if _, declared := t.Inputs[k]; !declared {
		return fmt.Sprintf("input %q is not declared", k)
	}
	return ""
}

// cycleNode returns the index of a node on a cycle, or -1. Kahn's sort
// leaves the nodes on or below a cycle; following dependencies from one of
// them must revisit a node, and that node is on the cycle.
func cycleNode(deps [][]int) int {
	left := kahn(deps)
	if len(left) == 0 {
		return -1
	}
	in := map[int]bool{}
	for _, i := range left {
		in[i] = true
	}
	seen := map[int]bool{}
	i := left[0]
	for !seen[i] {
		seen[i] = true
		for _, d := range deps[i] {
			if in[d] {
				i = d
				break
			}
		}
	}
	return i
}

// kahn sorts topologically and returns the indices it could not place.
func kahn(deps [][]int) []int {
	order := topoOrder(deps)
	if len(order) == len(deps) {
		return nil
	}
	placed := make([]bool, len(deps))
	for _, i := range order {
		placed[i] = true
	}
	var left []int
	for i, p := range placed {
		if !p {
			left = append(left, i)
		}
	}
	return left
}

// topoOrder is Kahn's sort, lowest index first among the free nodes; with
// a cycle it is shorter than deps.
func topoOrder(deps [][]int) []int {
	indeg := make([]int, len(deps))
	users := make([][]int, len(deps))
	for i, ds := range deps {
		indeg[i] = len(ds)
		for _, d := range ds {
			users[d] = append(users[d], i)
		}
	}
	var queue, order []int
	for i, d := range indeg {
		if d == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, i)
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	return order
}

// ancestors[i][k] says node k is reachable through i's dependencies.
func ancestors(deps [][]int) []map[int]bool {
	out := make([]map[int]bool, len(deps))
	for i := range deps {
		seen := map[int]bool{}
		stack := append([]int(nil), deps[i]...)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[k] {
				continue
			}
			seen[k] = true
			stack = append(stack, deps[k]...)
		}
		out[i] = seen
	}
	return out
}

type validator struct{ fields []fault.FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.fields = append(v.fields, fault.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	sort.SliceStable(v.fields, func(i, j int) bool { return naturalLess(v.fields[i].Field, v.fields[j].Field) })
	return &fault.ValidationError{Fields: v.fields}
}

// naturalLess orders "nodes[2]" before "nodes[10]".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
