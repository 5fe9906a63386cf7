package evidence

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Type is an evidence packet type (release.md §6).
type Type string

// Packet types.
const (
	ReleaseDecision Type = "release_decision" // a final decision: pre-deploy allow, a deny that rejects, a compliance-changing re-evaluation
	Deployment      Type = "deployment"       // a deployment job ended, successfully or not
	Rollback        Type = "rollback"         // a rollback ended; subjects: the releases rolled back from and to
	ABPromotion     Type = "ab_promotion"     // an A/B experiment was promoted or rolled back; subjects: control and treatment
)

// Types lists every packet type.
func Types() []Type { return []Type{ReleaseDecision, Deployment, Rollback, ABPromotion} }

const predicatePrefix = "https://stella-ops.org/evidence/"

// PredicateType is the in-toto predicate type of the packet type:
// https://stella-ops.org/evidence/<type>/v1, the type verbatim.
func (t Type) PredicateType() string { return predicatePrefix + string(t) + "/v1" }

func (t Type) valid() bool { return slices.Contains(Types(), t) }

// typeOf is the packet type a predicate type names, or "".
func typeOf(predicateType string) Type {
	s, ok := strings.CutPrefix(predicateType, predicatePrefix)
	if !ok {
		return ""
	}
	t, ok := strings.CutSuffix(s, "/v1")
	if !ok || !Type(t).valid() {
		return ""
	}
	return Type(t)
}

// Content is the packet's predicate: who did what, where, why, how and
// when. Seal normalizes it: arrays sorted by the key each field names,
// reason codes deduplicated, times UTC whole seconds. So the same facts
// hash the same whatever order the caller gathered them in.
type Content struct {
	What What `json:"what"`
	// Where the release went.
	Where Where `json:"where"`
	// Who asked and who approved.
	Who Who `json:"who"`
	// Why it was allowed (or not): the gate decision, see WhyFrom.
	Why Why `json:"why"`
	// How it was carried out: deployment and rollback only.
	How *How `json:"how,omitempty"`
	// Previous is the release rolled back from (rollback), or the control
	// release of an experiment (ab_promotion, whose What is the treatment).
	Previous *Previous `json:"previous,omitempty"`
	When     When      `json:"when"`
}

// What is the release the packet is about.
type What struct {
	Release Release `json:"release"`
}

// Release is a finalized release.
type Release struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Digest     string      `json:"digest"`     // sha256:<hex> of the release manifest
	Components []Component `json:"components"` // sorted by name
	SourceRef  *SourceRef  `json:"sourceRef,omitempty"`
}

// Component is one digest-pinned image of a release.
type Component struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
	Semver     string `json:"semver,omitempty"`
}

// SourceRef points at the commit a release was built from.
type SourceRef struct {
	SCM        string `json:"scm"`
	Repository string `json:"repository"`
	Commit     string `json:"commit"`
	Branch     string `json:"branch,omitempty"`
}

// Where is the environment and the targets touched.
type Where struct {
	Environment Environment `json:"environment"`
	Targets     []Target    `json:"targets"` // sorted by name, then id
}

// Environment names the environment.
type Environment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tier string `json:"tier"`
}

// Target is one host of the environment.
type Target struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Who is the requester and the approvers.
type Who struct {
	Requester Person     `json:"requester"`
	Approvers []Approver `json:"approvers"` // sorted by at, then id
}

// Person is an actor.
type Person struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Approver is one approval or rejection.
type Approver struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Action  string    `json:"action"` // approve | reject
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// Why is the decision behind the packet. For a release decision and a
// deployment it comes from the gate decision record (WhyFrom).
type Why struct {
	Decision             string   `json:"decision"`
	Phase                string   `json:"phase,omitempty"`
	ReasonCodes          []string `json:"reasonCodes"` // sorted, deduplicated
	Gates                []Gate   `json:"gates"`       // sorted by id
	DecisionRecordDigest string   `json:"decisionRecordDigest,omitempty"`
	InputsHash           string   `json:"inputsHash,omitempty"`
}

// Gate is one gate's result.
type Gate struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	ReasonCodes []string `json:"reasonCodes"` // sorted, deduplicated
	Message     string   `json:"message"`
}

// How is the deployment or rollback as executed.
type How struct {
	WorkflowRunID   string     `json:"workflowRunId,omitempty"`
	DeploymentJobID string     `json:"deploymentJobId"`
	Strategy        string     `json:"strategy"`
	Artifacts       []Artifact `json:"artifacts"` // sorted by type, name, contentHash
	LogsDigest      string     `json:"logsDigest,omitempty"`
	// Outcome is how the job ended, succeeded or failed; release.md §6
	// lists no field for it, yet a deployment packet "with failure" must
	// say so inside the signed content.
	Outcome string   `json:"outcome,omitempty"`
	Failure *Failure `json:"failure,omitempty"` // failed only
}

// Outcomes of a deployment or rollback job.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
)

// Failure is why a job failed.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Artifact is a generated file, e.g. compose.stella.lock.yml or stella.version.json.
type Artifact struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	ContentHash string `json:"contentHash"`
}

// Previous is the other release of a rollback or an A/B experiment.
type Previous struct {
	Release ReleaseRef `json:"release"`
	Reason  string     `json:"reason,omitempty"`
}

// ReleaseRef names a release.
type ReleaseRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// When is the timeline; unset times are omitted.
type When struct {
	RequestedAt *time.Time `json:"requestedAt,omitempty"`
	DecidedAt   *time.Time `json:"decidedAt,omitempty"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// normalized returns a copy of c in canonical form; c is left untouched.
func (c Content) normalized() Content {
	r := &c.What.Release
	r.Components = sorted(r.Components, func(a, b Component) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Repository, b.Repository), strings.Compare(a.Digest, b.Digest))
	})
	if r.SourceRef != nil {
		s := *r.SourceRef
		r.SourceRef = &s
	}
	c.Where.Targets = sorted(c.Where.Targets, func(a, b Target) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID), strings.Compare(a.Type, b.Type))
	})
	c.Who.Approvers = sorted(c.Who.Approvers, nil)
	for i := range c.Who.Approvers { // truncate before sorting: order by what is written
		c.Who.Approvers[i].At = utcSecond(c.Who.Approvers[i].At)
	}
	slices.SortStableFunc(c.Who.Approvers, func(a, b Approver) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ID, b.ID), strings.Compare(a.Action, b.Action),
			strings.Compare(a.Name, b.Name), strings.Compare(a.Comment, b.Comment))
	})
	c.Why.ReasonCodes = codes(c.Why.ReasonCodes)
	c.Why.Gates = sorted(c.Why.Gates, func(a, b Gate) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.Type, b.Type))
	})
	for i := range c.Why.Gates {
		c.Why.Gates[i].ReasonCodes = codes(c.Why.Gates[i].ReasonCodes)
	}
	if c.How != nil {
		h := *c.How
		h.Artifacts = sorted(h.Artifacts, func(a, b Artifact) int {
			return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name), strings.Compare(a.ContentHash, b.ContentHash))
		})
		c.How = &h
	}
	if c.Previous != nil {
		p := *c.Previous
		c.Previous = &p
	}
	for _, t := range []**time.Time{&c.When.RequestedAt, &c.When.DecidedAt, &c.When.StartedAt, &c.When.CompletedAt} {
		if *t != nil {
			u := utcSecond(**t)
			*t = &u
		}
	}
	return c
}

// sorted returns a copy of s sorted by cmp (if any), never nil: a
// required array is written as [] when empty, not null.
func sorted[T any](s []T, cmp func(a, b T) int) []T {
	out := make([]T, len(s))
	copy(out, s)
	if cmp != nil {
		slices.SortStableFunc(out, cmp)
	}
	return out
}

func codes(s []string) []string { return slices.Compact(sorted(s, strings.Compare)) }

func utcSecond(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// validate checks what a packet of type t must (and must not) hold.
func (c *Content) validate(t Type) error {
	var errs []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	digest := func(field, d string) {
		check(digestRE.MatchString(d), "%s %q is not sha256:<64 lowercase hex>", field, d)
	}
	optDigest := func(field, d string) {
		if d != "" {
			digest(field, d)
		}
	}

	r := c.What.Release
	check(r.ID != "" && r.Name != "", "what.release needs an id and a name")
	digest("what.release.digest", r.Digest)
	for i, comp := range r.Components {
		check(comp.Name != "" && comp.Repository != "", "what.release.components[%d] needs a name and a repository", i)
		digest(fmt.Sprintf("what.release.components[%d].digest", i), comp.Digest)
		check(i == 0 || r.Components[i-1].Name != comp.Name, "what.release.components: %q appears twice", comp.Name)
	}
	check(c.Where.Environment.Name != "", "where.environment needs a name")
	for i, tg := range c.Where.Targets {
		check(tg.ID != "" && tg.Name != "" && tg.Type != "", "where.targets[%d] needs an id, a name and a type", i)
	}
	check(c.Who.Requester.ID != "", "who.requester needs an id")
	for i, a := range c.Who.Approvers {
		check(a.ID != "" && !a.At.IsZero(), "who.approvers[%d] needs an id and a time", i)
		check(a.Action == "approve" || a.Action == "reject", "who.approvers[%d].action %q is not approve or reject", i, a.Action)
	}
	check(c.Why.Decision != "", "why.decision is required")
	for i, g := range c.Why.Gates {
		check(g.ID != "" && g.Type != "" && g.Status != "", "why.gates[%d] needs an id, a type and a status", i)
		check(i == 0 || c.Why.Gates[i-1].ID != g.ID, "why.gates: %q appears twice", g.ID)
	}
	optDigest("why.decisionRecordDigest", c.Why.DecisionRecordDigest)
	optDigest("why.inputsHash", c.Why.InputsHash)
	if t == ReleaseDecision {
		check(c.Why.DecisionRecordDigest != "" && c.Why.InputsHash != "", "a release_decision packet needs why.decisionRecordDigest and why.inputsHash (see WhyFrom)")
	}

	needHow := t == Deployment || t == Rollback
	check(needHow == (c.How != nil), "how is required for deployment and rollback packets and absent otherwise (type %s)", t)
	if h := c.How; h != nil {
		check(h.DeploymentJobID != "" && h.Strategy != "", "how needs a deploymentJobId and a strategy")
		optDigest("how.logsDigest", h.LogsDigest)
		check(h.Outcome == "" || h.Outcome == OutcomeSucceeded || h.Outcome == OutcomeFailed, "how.outcome %q is not succeeded or failed", h.Outcome)
		check((h.Failure != nil) == (h.Outcome == OutcomeFailed), "how.failure is given exactly when how.outcome is failed")
		if f := h.Failure; f != nil {
			check(f.Code != "", "how.failure needs a code")
		}
		for i, a := range h.Artifacts {
			check(a.Type != "" && a.Name != "", "how.artifacts[%d] needs a type and a name", i)
			digest(fmt.Sprintf("how.artifacts[%d].contentHash", i), a.ContentHash)
		}
	}
	needPrev := t == Rollback || t == ABPromotion
	check(needPrev == (c.Previous != nil), "previous is required for rollback and ab_promotion packets and absent otherwise (type %s)", t)
	if p := c.Previous; p != nil {
		check(p.Release.ID != "" && p.Release.Name != "", "previous.release needs an id and a name")
		digest("previous.release.digest", p.Release.Digest)
		check(p.Release.Digest != r.Digest, "previous.release and what.release are the same release %s", r.Digest)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s content: %s", ErrInvalid, t, strings.Join(errs, "; "))
	}
	return nil
}
