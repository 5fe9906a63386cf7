package graph

import (
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/idempotency"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/vex"
)

//go:generate go tool gqlgen generate

// Resolver is the root of the GraphQL resolvers. It only translates between
// GraphQL and the SDK packages; the rules live in those packages.
type Resolver struct {
	Catalog *release.Service
	Tokens  auth.Store
	SBOMs   sbom.Store
	// Advisories holds the effective advisories findings are matched against.
	Advisories advisory.Store
	Scanner    ImageScanner // nil: scanRelease reports that no scanner is configured
	// VEX holds VEX documents, statements and the issuer registry; nil:
	// VEX queries fail and findings carry no verdict.
	VEX vex.Store
	// Gates evaluates releases against environments and keeps the
	// decision records; nil: gate queries fail.
	Gates *GateService
	// Exceptions keeps the exception log decisions apply; nil: exception
	// queries fail and decisions apply no exceptions.
	Exceptions exception.Store
	// InTx runs a transaction of the store behind the fields above. Every
	// mutation outside Catalog writes its rows and its audit entry through
	// it, together; nil: those mutations fail.
	InTx TxFunc
	// Promotions runs promotions (request, approve, reject, cancel);
	// nil: promotion queries and mutations fail.
	Promotions *release.Promotions
	// Evidence serves the evidence key and packets by id; nil: those
	// queries fail.
	Evidence *EvidenceService
	Now      func() time.Time
	NewID    func() string
	// Idempotency keeps the idempotency keys of mutations (idempotency.go);
	// nil: a mutation sent with a key is refused.
	Idempotency idempotency.Store

	// Deployed reads what each environment runs; nil: Environment.current fails.
	Deployed CurrentReleases
	// Workflows runs workflow runs; nil: workflow run queries and
	// mutations fail (errNoWorkflows).
	Workflows *runner.Runner
	// Feeds feed the subscriptions; nil: subscriptions fail.
	Feeds *Feeds

	snapshots advisoryCache
}
