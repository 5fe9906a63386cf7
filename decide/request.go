package decide

import (
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/scan"
)

// Request is one question for the gates: may this release enter this
// environment, as of this time, knowing these advisories and this VEX?
type Request struct {
	Tenant      string
	PromotionID string
	Phase       gate.Phase // default request
	// Cutoff is the decision's clock: the gates', the exceptions' and the
	// VEX consensus time.
	Cutoff      time.Time
	Release     Release
	Environment gate.Environment
	Requester   gate.Requester
	Approvals   []gate.Approval
	// Baseline is the release now deployed in the environment, whose
	// findings cve-delta compares against; nil when none is.
	Baseline *Release

	// Advisories is the snapshot matched; nil leaves every image without
	// findings and denies with input.advisory-snapshot-missing.
	Advisories *scan.Advisories
	// VEX gives findings their verdicts; nil leaves them without one,
	// which denies with input.vex-consensus-missing when there are any.
	VEX *scan.VEX
	// Exceptions and Revocations are the exception log; only what is
	// known at Cutoff applies (exception.LogAt) and is recorded.
	Exceptions  []exception.Exception
	Revocations []exception.Revocation
}

// Release is a release with the SBOM of each image.
type Release struct {
	ID, Name, Digest string
	Components       []Component
}

// Component is one image of a release.
type Component struct {
	Name string
	// Image is repository@sha256:…; "" for a scanned source, whose SBOM
	// subject then names the image (and the release digest when the
	// release has none).
	Image     string
	Tag, Role string
	// SBOM is the encoded SBOM (any format package codec reads); nil when
	// none is stored, which denies with input.sbom-missing.
	SBOM []byte
}
