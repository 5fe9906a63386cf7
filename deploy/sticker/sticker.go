package sticker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/canon"
)

// Version is the sticker format version this package writes and reads.
const Version = "1.0"

// Sticker is stella.version.json. Its JSON field names are the spec's.
type Sticker struct {
	Version     string     `json:"version"`
	GeneratedAt time.Time  `json:"generatedAt"`
	Generator   string     `json:"generator"`
	Release     Release    `json:"release"`
	Deployment  Deployment `json:"deployment"`
	Decision    Decision   `json:"decision"`
	Checksum    string     `json:"checksum,omitempty"`
}

// Release is the release a target runs.
type Release struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Digest     string      `json:"digest"`
	CreatedAt  time.Time   `json:"createdAt"`
	Components []Component `json:"components"`
}

// Component is one image of the release, pinned by digest.
type Component struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
	SemVer     string `json:"semver"`
	Tag        string `json:"tag"`
}

// Deployment says how the release reached this target.
type Deployment struct {
	ID              string    `json:"id"`
	PromotionID     string    `json:"promotionId"`
	EnvironmentID   string    `json:"environmentId"`
	EnvironmentName string    `json:"environmentName"`
	TargetID        string    `json:"targetId"`
	TargetName      string    `json:"targetName"`
	Strategy        string    `json:"strategy"`
	StartedAt       time.Time `json:"startedAt"`
	CompletedAt     time.Time `json:"completedAt"`
}

// Decision points at the decision record that allowed the promotion.
type Decision struct {
	RecordDigest string `json:"recordDigest"`
}

// Input is what New needs; GeneratedAt comes from the caller's clock.
type Input struct {
	GeneratedAt time.Time
	Generator   string
	Release     Release
	Deployment  Deployment
	Decision    Decision
}

// New validates in and returns the sealed sticker.
func New(in Input) (*Sticker, error) {
	s := &Sticker{
		Version:     Version,
		GeneratedAt: in.GeneratedAt,
		Generator:   in.Generator,
		Release:     in.Release,
		Deployment:  in.Deployment,
		Decision:    in.Decision,
	}
	s.Release.Components = slices.Clone(in.Release.Components)
	if err := s.Seal(); err != nil {
		return nil, err
	}
	return s, nil
}

// Seal normalizes s (UTC times, components sorted by name), validates it and
// sets Checksum to sha256 of the JCS of s without its checksum.
func (s *Sticker) Seal() error {
	s.GeneratedAt = s.GeneratedAt.UTC()
	s.Release.CreatedAt = s.Release.CreatedAt.UTC()
	s.Deployment.StartedAt = s.Deployment.StartedAt.UTC()
	s.Deployment.CompletedAt = s.Deployment.CompletedAt.UTC()
	slices.SortFunc(s.Release.Components, func(a, b Component) int { return strings.Compare(a.Name, b.Name) })
	if err := s.validate(); err != nil {
		return err
	}
	sum, err := s.checksum()
	if err != nil {
		return err
	}
	s.Checksum = sum
	return nil
}

// Marshal returns the canonical JSON of the sealed sticker.
func (s *Sticker) Marshal() ([]byte, error) {
	if s.Checksum == "" {
		return nil, fault.Invalid("checksum", "sticker is not sealed")
	}
	return canon.Marshal(s)
}

// Parse decodes a sticker and verifies its checksum. Unknown fields are
// refused: they would sit outside what the checksum covers once re-encoded.
func Parse(data []byte) (*Sticker, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Sticker
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("sticker: decode: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("sticker: decode: trailing data after the sticker")
	}
	if s.Checksum == "" {
		return nil, fault.Invalid("checksum", "missing")
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if !slices.IsSortedFunc(s.Release.Components, func(a, b Component) int { return strings.Compare(a.Name, b.Name) }) {
		return nil, fault.Invalid("release.components", "not sorted by name")
	}
	want, err := s.checksum()
	if err != nil {
		return nil, err
	}
	if s.Checksum != want {
		return nil, fault.Invalid("checksum", "mismatch: sticker says %s, content hashes to %s", s.Checksum, want)
	}
	return &s, nil
}

func (s *Sticker) checksum() (string, error) {
	c := *s
	c.Checksum = ""
	return canon.Digest(c)
}

var (
	digestRE  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	checkRE   = digestRE
	strategyS = []string{"all-at-once", "rolling", "canary", "blue-green"}
)

func (s *Sticker) validate() error {
	var errs []fault.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, fault.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			bad(field, "required")
		}
	}
	if s.Version != Version {
		bad("version", "is %q, want %q", s.Version, Version)
	}
	need("generator", s.Generator)
	when := func(field string, t time.Time) {
		if t.IsZero() {
			bad(field, "required")
		}
	}
	when("generatedAt", s.GeneratedAt)
	when("release.createdAt", s.Release.CreatedAt)
	when("deployment.startedAt", s.Deployment.StartedAt)
	when("deployment.completedAt", s.Deployment.CompletedAt)
	need("release.id", s.Release.ID)
	need("release.name", s.Release.Name)
	if !digestRE.MatchString(s.Release.Digest) {
		bad("release.digest", "%q is not sha256:<64 lowercase hex>", s.Release.Digest)
	}
	if len(s.Release.Components) == 0 {
		bad("release.components", "at least one component is required")
	}
	seen := map[string]bool{}
	for i, c := range s.Release.Components {
		f := fmt.Sprintf("release.components[%d]", i)
		need(f+".name", c.Name)
		if seen[c.Name] {
			bad(f+".name", "duplicate component %q", c.Name)
		}
		seen[c.Name] = true
		need(f+".repository", c.Repository)
		if !digestRE.MatchString(c.Digest) {
			bad(f+".digest", "%q is not sha256:<64 lowercase hex>", c.Digest)
		}
	}
	d := s.Deployment
	need("deployment.id", d.ID)
	need("deployment.environmentId", d.EnvironmentID)
	need("deployment.environmentName", d.EnvironmentName)
	need("deployment.targetId", d.TargetID)
	need("deployment.targetName", d.TargetName)
	if !slices.Contains(strategyS, d.Strategy) {
		bad("deployment.strategy", "%q is not one of %s", d.Strategy, strings.Join(strategyS, ", "))
	}
	if d.CompletedAt.Before(d.StartedAt) {
		bad("deployment.completedAt", "before startedAt")
	}
	if s.Decision.RecordDigest != "" && !digestRE.MatchString(s.Decision.RecordDigest) {
		bad("decision.recordDigest", "%q is not sha256:<64 lowercase hex>", s.Decision.RecordDigest)
	}
	if s.Checksum != "" && !checkRE.MatchString(s.Checksum) {
		bad("checksum", "%q is not sha256:<64 lowercase hex>", s.Checksum)
	}
	if len(errs) > 0 {
		return &fault.ValidationError{Fields: errs}
	}
	return nil
}
