package vex

import (
	"math"
	"time"
)

// Provenance levels P (vex.md §4.1).
const (
	provenanceTimestamped = 1.00 // verified with a usable registry key, trusted timestamp
	provenanceSigned      = 0.75 // verified with a usable registry key, no timestamp
	provenancePinned      = 0.40 // unsigned, from a registered (authenticated, pinned) issuer
	provenanceOpaque      = 0.10 // unsigned upload, opaque or unverifiable
)

// Coverage levels C (vex.md §4.1).
const (
	coverageExact = 1.00
	// 0.75 (version matched through a range) needs a range on the
	// statement, which the normalized statement does not carry.
	coverageProduct   = 0.50
	coverageHeuristic = 0.25
)

// Replayability levels R (vex.md §4.1).
const (
	replayImmutable = 1.00
	replayVersioned = 0.60
	replayAdHoc     = 0.20
)

// Strength levels M (vex.md §4.2).
const (
	strengthEvidence      = 1.00
	strengthJustified     = 0.80
	strengthBlanket       = 0.60
	strengthInvestigating = 0.40
)

// round6 rounds to 6 decimal places (offline.md §1.1, vex.md §4.4).
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// BaseTrust is wP·P + wC·C + wR·R, each product rounded to float64 before
// the sum so no fused multiply-add changes the bits (vex.md §4.4).
func BaseTrust(w Weights, p, c, r float64) float64 {
	sum := float64(w.P*p) + float64(w.C*c)
	sum = float64(sum) + float64(w.R*r)
	return round6(sum)
}

// Freshness is max(floor, 2^(−ageDays/halfLife)) with age measured from ts
// to cutoff. A timestamp after the cut-off gives 1 and future=true.
func Freshness(ts, cutoff time.Time, halfLifeDays, floor float64) (f float64, future bool) {
	if ts.After(cutoff) {
		return 1, true
	}
	age := float64(cutoff.Sub(ts)) / float64(24*time.Hour)
	e := float64(-math.Ln2 * age)
	e = float64(e / halfLifeDays)
	return round6(math.Max(floor, math.Exp(e))), false
}

// Strength is M for a statement (vex.md §4.2).
func Strength(s Statement) float64 {
	evidence := len(s.EvidenceRefs) > 0
	switch s.Status {
	case StatusNotAffected:
		switch {
		case evidence:
			return strengthEvidence
		case s.Justification != "" || s.ImpactStatement != "":
			return strengthJustified
		}
		return strengthBlanket
	case StatusAffected:
		switch {
		case evidence:
			return strengthEvidence
		case s.ActionStatement != "":
			return strengthJustified
		}
		return strengthBlanket
	case StatusFixed:
		if evidence {
			return strengthEvidence
		}
		return strengthJustified
	case StatusUnderInvestigation:
		return strengthInvestigating
	}
	return 0
}

// Provenance is P for a statement from issuer, evaluated at cutoff. Only a
// signature verified with a usable registry key raises it above the
// unsigned levels; an issuer's provenanceOverride replaces it.
func Provenance(is Issuer, s Statement, cutoff time.Time) float64 {
	if is.ProvenanceOverride != nil {
		return *is.ProvenanceOverride
	}
	if signedByRegistryKey(is, s, cutoff) {
		if s.Signature.Timestamped {
			return provenanceTimestamped
		}
		return provenanceSigned
	}
	// Manual entries and unknown authors cannot be traced to an
	// authenticated source; registered issuers are fetched from pinned ones.
	if s.Format == FormatManual || !is.Registered() {
		return provenanceOpaque
	}
	return provenancePinned
}

// Replayability is R for a statement: the issuer's setting when present,
// otherwise derived from how the statement was published.
func Replayability(is Issuer, s Statement) float64 {
	switch {
	case is.Replayability != nil:
		return *is.Replayability
	case s.Format == FormatManual:
		return replayAdHoc
	case s.Signature.Signed && s.Signature.Verified:
		// A verified envelope is a content-addressed attestation.
		return replayImmutable
	}
	return replayVersioned
}

// signedByRegistryKey reports whether the statement's signature was
// verified with one of the issuer's registry keys, valid when the statement
// was made and not revoked as of cutoff.
func signedByRegistryKey(is Issuer, s Statement, cutoff time.Time) bool {
	sig := s.Signature
	if !sig.Signed || !sig.Verified {
		return false
	}
	k, ok := is.key(sig.KeyID)
	return ok && k.usable(s.Timestamp, cutoff)
}
