package vex

import (
	"fmt"
	"math"
)

// LatticeVersion identifies the status lattice of vex.md §5 step 6.
const LatticeVersion = 1

// Weights are the BaseTrust weights wP, wC, wR (vex.md §4).
type Weights struct {
	P float64 `json:"P"`
	C float64 `json:"C"`
	R float64 `json:"R"`
}

// Settings are the consensus parameters recorded in every verdict.
type Settings struct {
	Weights  Weights `json:"weights"`
	MinScore float64 `json:"minScore"`
	Delta    float64 `json:"delta"`
	// HalfLife is the freshness half-life in days; HalfLifeByClass
	// overrides it per issuer class (vex.md §4.3).
	HalfLife        float64                 `json:"halfLife"`
	HalfLifeByClass map[IssuerClass]float64 `json:"halfLifeByClass,omitempty"`
	Floor           float64                 `json:"floor"`
	LatticeVersion  int                     `json:"latticeVersion"`
}

// DefaultSettings returns the spec defaults: weights 0.45/0.35/0.20,
// minScore 0.10, delta 0.10, half-life 90 days, floor 0.2.
func DefaultSettings() Settings {
	return Settings{
		Weights:        Weights{P: 0.45, C: 0.35, R: 0.20},
		MinScore:       0.10,
		Delta:          0.10,
		HalfLife:       90,
		Floor:          0.2,
		LatticeVersion: LatticeVersion,
	}
}

// Validate rejects settings the algorithm cannot use; in particular the
// weights must sum to 1 within 1e-9.
func (s Settings) Validate() error {
	w := s.Weights
	for _, v := range []float64{w.P, w.C, w.R, s.MinScore, s.Delta, s.Floor} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("vex: setting %v outside [0,1]", v)
		}
	}
	if math.Abs(w.P+w.C+w.R-1) > 1e-9 {
		return fmt.Errorf("vex: weights sum to %v, want 1", w.P+w.C+w.R)
	}
	if !(s.HalfLife > 0) {
		return fmt.Errorf("vex: half-life %v must be positive", s.HalfLife)
	}
	for c, h := range s.HalfLifeByClass {
		if !c.valid() || !(h > 0) {
			return fmt.Errorf("vex: half-life %v for class %q is invalid", h, c)
		}
	}
	if s.LatticeVersion != LatticeVersion {
		return fmt.Errorf("vex: lattice version %d unsupported", s.LatticeVersion)
	}
	return nil
}

// halfLife is the half-life for an issuer class.
func (s Settings) halfLife(c IssuerClass) float64 {
	if h, ok := s.HalfLifeByClass[c]; ok {
		return h
	}
	return s.HalfLife
}

// Option configures a Consensus.
type Option func(*Settings)

// WithSettings replaces all settings.
func WithSettings(s Settings) Option { return func(d *Settings) { *d = s } }

// WithWeights sets the BaseTrust weights.
func WithWeights(w Weights) Option { return func(s *Settings) { s.Weights = w } }

// WithMinScore sets the minimum claim score.
func WithMinScore(v float64) Option { return func(s *Settings) { s.MinScore = v } }

// WithDelta sets the top-set delta.
func WithDelta(v float64) Option { return func(s *Settings) { s.Delta = v } }

// WithHalfLife sets the freshness half-life in days, for all classes or,
// when classes are given, only for those.
func WithHalfLife(days float64, classes ...IssuerClass) Option {
	return func(s *Settings) {
		if len(classes) == 0 {
			s.HalfLife = days
			return
		}
		m := make(map[IssuerClass]float64, len(s.HalfLifeByClass)+len(classes))
		for c, h := range s.HalfLifeByClass {
			m[c] = h
		}
		for _, c := range classes {
			m[c] = days
		}
		s.HalfLifeByClass = m
	}
}

// WithFloor sets the freshness floor.
func WithFloor(v float64) Option { return func(s *Settings) { s.Floor = v } }
