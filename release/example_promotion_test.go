package release_test

import (
	"cmp"
	"fmt"
	"time"

	"github.com/stella-ops/stella/release"
)

// A promotion of myapp-v2.3.1 from stage into prod, walked along the happy
// path. Each step is what the server does when an evaluation, an approval
// or the deployment job reports; every one returns a new value and the
// event to publish.
func ExamplePromotion_Apply() {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	rel := &release.Release{ID: "rel-1", TenantID: "acme", Application: "myapp", Name: "myapp-v2.3.1",
		Status: release.StatusFinalized, Digest: "sha256:4f0c…"}
	stage := &release.Environment{ID: "env-stage", TenantID: "acme", Name: "stage", OrderIndex: 1}
	prod := &release.Environment{ID: "env-prod", TenantID: "acme", Name: "prod", OrderIndex: 2, RequirePreviousEnvironment: true}

	p, ev, err := release.NewPromotion("p-1",
		release.PromotionRequest{ReleaseID: rel.ID, Target: "prod", Reason: "weekly release", RequestedBy: "alice"},
		release.RequestFacts{Release: rel, Target: prod, Previous: stage, DeployedIntoPrevious: true}, at)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%-16s %s\n", p.Status, ev.Type)

	for _, t := range []release.Transition{
		{Trigger: release.TriggerEvaluationStarted},
		{Trigger: release.TriggerGatesPassedExceptApprovals, DecisionID: "dec-1"},
		{Trigger: release.TriggerApprovalsSatisfied, DecisionID: "dec-2"},
		{Trigger: release.TriggerPreDeployAllow, DecisionID: "dec-3", DeploymentJobID: "job-1", EvidencePacketIDs: []string{"pkt-1"}},
		{Trigger: release.TriggerJobSucceeded, EvidencePacketIDs: []string{"pkt-2"}},
	} {
		at = at.Add(time.Hour)
		if p, ev, err = p.Apply(t, at); err != nil {
			panic(err)
		}
		fmt.Printf("%-16s %s\n", p.Status, cmp.Or(ev.Type, "-"))
	}
	fmt.Println("final decision:", p.FinalDecisionID, "packets:", p.EvidencePacketIDs)

	// A deployed promotion cannot be cancelled any more.
	_, _, err = p.Apply(release.Transition{Trigger: release.TriggerCancel}, at)
	fmt.Println(err)
	// Output:
	// requested        promotion.requested
	// pending_gate     -
	// pending_approval -
	// approved         promotion.approved
	// deploying        promotion.started
	// deployed         promotion.completed
	// final decision: dec-3 packets: [pkt-1 pkt-2]
	// promotion "p-1": is deployed; cancel does not apply (only rollback_completed)
}
