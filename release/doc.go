// Package release models where software goes (environments, targets, registry and
// SCM integrations), what goes there (components and their version maps) and the
// releases themselves: immutable sets of image digests. A tag is resolved to its
// digest once, when it is added, and never used again; a finalized release's digest
// is the sha256 of its canonical (RFC 8785) manifest.
//
// The Service applies the rules of spec/release.md over any Store (package store
// has SQLite and PostgreSQL). Every call takes its tenant and actor from the
// context, and every change is written with its audit entry in one transaction.
//
//	releases := release.NewService(db, box) // db from store.Open, box from seal.New
//	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: "acme", Actor: "ci"})
//	rel, err := releases.CreateRelease(ctx, release.Draft{Name: "myapp-v2.3.1"})
//	rel, err = releases.AddComponent(ctx, rel.ID, release.ComponentRef{Component: "api", Tag: "v2.3.1"})
//	rel, err = releases.FinalizeRelease(ctx, rel.ID) // immutable from here; rel.Digest set
//
// Promotions move a release through the state machine of release.md §2 as
// pure values: NewPromotion checks a request against the facts a store looked
// up, and Promotion.Apply returns the promotion after a trigger with the event
// to publish, or a conflict when the trigger does not apply. NextToDeploy,
// CanApprove and AutoPromotions hold the deploy lock order, the approval rules
// and auto-promotion the same way, so the store and the API only fetch and write:
//
//	p, ev, err := release.NewPromotion(id, req, facts, now)
//	p, ev, err = p.Apply(release.Transition{Trigger: release.TriggerEvaluationStarted}, now)
//
// Workflow templates (release.md §3) are a versioned catalog: a save validates
// the template (package release/workflow) against the step types of
// WithStepTypes and appends the next version; identical content keeps the
// latest version, and a saved version never changes:
//
//	releases := release.NewService(db, box, release.WithStepTypes(registry.Known))
//	t, err := releases.SaveWorkflowTemplate(ctx, yamlOrJSON) // t.Version: 1, 2, …
//	t, err = releases.WorkflowTemplate(ctx, "default-deploy", 0) // built in, version 1
package release
