package scan

import (
	"context"
	"errors"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/vex"
)

// Scanner matches SBOMs against a prepared advisory snapshot and, when it
// has a VEX view, applies the consensus to every finding.
type Scanner struct {
	advisories *Advisories
	vex        *VEX
}

// Option configures a Scanner.
type Option func(*Scanner)

// WithVEX applies v's consensus to every finding.
func WithVEX(v *VEX) Option { return func(s *Scanner) { s.vex = v } }

// New returns a scanner over advs.
func New(advs *Advisories, opts ...Option) *Scanner {
	s := &Scanner{advisories: advs}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ScanOption sets what one scan evaluates VEX for.
type ScanOption func(*scanOptions)

type scanOptions struct {
	product string
	cutoff  time.Time
}

// InProduct names the product of the scanned SBOM for VEX, an image
// digest ("sha256:…") or product purl; statements about it apply.
func InProduct(ref string) ScanOption { return func(o *scanOptions) { o.product = ref } }

// AsOf is the VEX consensus time; statements after it are ignored.
// Without it a scan has no VEX verdicts: a consensus has no default time.
func AsOf(t time.Time) ScanOption { return func(o *scanOptions) { o.cutoff = t } }

// Result is what one scan found.
type Result struct {
	// Report holds the findings, each with KEV and EPSS, and the
	// (package, advisory) pairs that could not be decided.
	Report advisory.Report
	// Applied parallels Report.Findings with their VEX verdicts; nil when
	// the scanner has no VEX view.
	Applied []vex.Applied
}

// Scan matches doc and applies VEX.
func (s *Scanner) Scan(ctx context.Context, doc *sbom.Document, opts ...ScanOption) (*Result, error) {
	if s.advisories == nil {
		return nil, errors.New("scan: no advisory snapshot")
	}
	var o scanOptions
	for _, opt := range opts {
		opt(&o)
	}
	rep, err := s.advisories.Match(ctx, doc)
	if err != nil {
		return nil, err
	}
	res := &Result{Report: rep}
	if s.vex != nil {
		if o.cutoff.IsZero() {
			return nil, errors.New("scan: VEX needs a consensus time (scan.AsOf)")
		}
		if res.Applied, err = s.vex.Apply(ctx, rep.Findings, vex.NormalizeRef(o.product), o.cutoff); err != nil {
			return nil, err
		}
	}
	return res, nil
}
