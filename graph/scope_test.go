package graph

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/tenant"
	"github.com/stella-ops/stella/vex"
)

// Stores that are never to be reached: any call panics and fails the test.
type (
	unreachableAdvisories struct{ advisory.Store }
	unreachableSBOMs      struct{ sbom.Store }
	unreachableVEX        struct{ vex.Store }
	unreachableExceptions struct{ exception.Store }
	unreachableGates      struct{ GateStore }
)

// A resolver reached without a tenant scope (a wiring mistake: the HTTP
// layer sets one for every authenticated request) refuses to act rather
// than query with an empty tenant, and the API calls that UNAUTHENTICATED.
func TestResolversFailClosedWithoutScope(t *testing.T) {
	r := &Resolver{Advisories: unreachableAdvisories{}, SBOMs: unreachableSBOMs{}, VEX: unreachableVEX{},
		Exceptions: unreachableExceptions{}, Gates: &GateService{Store: unreachableGates{}}}
	q := &queryResolver{r}
	digest := "sha256:" + "ab"
	calls := map[string]func(ctx context.Context) error{
		"advisory":         func(ctx context.Context) error { _, err := q.Advisory(ctx, "CVE-2024-0727"); return err },
		"advisories":       func(ctx context.Context) error { _, err := q.Advisories(ctx, "Debian", "openssl"); return err },
		"advisorySnapshot": func(ctx context.Context) error { _, err := r.advisorySnapshot(ctx); return err },
		"effectiveView":    func(ctx context.Context) error { _, err := r.effectiveView(ctx); return err },
		"sbomsAffectedBy":  func(ctx context.Context) error { _, err := r.sbomsAffectedBy(ctx, []string{"CVE-1"}); return err },
		"findings":         func(ctx context.Context) error { _, err := r.sbomFindings(ctx, digest); return err },
		"sbom":             func(ctx context.Context) error { _, err := q.Sbom(ctx, &digest, nil); return err },
		"packageSearch": func(ctx context.Context) error {
			_, err := r.packageSearch(ctx, "pkg:deb/debian/openssl", nil)
			return err
		},
		"releaseSboms": func(ctx context.Context) error {
			_, err := r.releaseSBOMs(ctx, &release.Release{Components: []release.ReleaseComponent{{Name: "api", Digest: digest}}})
			return err
		},
		"vexStore":       func(ctx context.Context) error { _, _, err := r.vexStore(ctx); return err },
		"exceptions":     func(ctx context.Context) error { _, err := r.exceptions(ctx, nil); return err },
		"decisionRecord": func(ctx context.Context) error { _, err := r.decisionRecord(ctx, digest); return err },
		"decisionInput": func(ctx context.Context) error {
			if r.decisionInput(ctx, &model.GateDecision{Rec: &gate.Decision{}}) != nil {
				return errors.New("an input without a scope")
			}
			return tenant.ErrNoScope
		},
	}
	for name, call := range calls {
		for ctxName, ctx := range map[string]context.Context{
			"no scope":  context.Background(),
			"no tenant": tenant.WithScope(context.Background(), tenant.Scope{Actor: "ann"}),
		} {
			err := call(ctx)
			if !errors.Is(err, tenant.ErrNoScope) {
				t.Errorf("%s with %s = %v, want ErrNoScope", name, ctxName, err)
				continue
			}
			if code := presentError(ctx, slog.New(slog.DiscardHandler), err).Extensions["code"]; code != CodeUnauthenticated {
				t.Errorf("%s with %s is presented as %v, want %s", name, ctxName, code, CodeUnauthenticated)
			}
		}
	}
}
