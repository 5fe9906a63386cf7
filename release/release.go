package release

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/canon"
)

// Status is where a release is in its life.
type Status string

const (
	StatusDraft      Status = "draft"
	StatusFinalized  Status = "finalized"
	StatusDeprecated Status = "deprecated"
)

// Component roles within a release.
const (
	RolePrimary   = "primary"
	RoleSidecar   = "sidecar"
	RoleInit      = "init"
	RoleMigration = "migration"
)

// ManifestSchema identifies version 1 of the release manifest.
const ManifestSchema = "stella.release/v1"

// Release is a named set of image digests of one application, shipped together.
// Once finalized it never changes: Digest is the sha256 of its canonical manifest.
type Release struct {
	ID          string             `json:"id"`
	TenantID    string             `json:"tenantId"`
	Application string             `json:"application"`
	Name        string             `json:"name"`
	DisplayName string             `json:"displayName"`
	Status      Status             `json:"status"`
	Components  []ReleaseComponent `json:"components"`
	SourceRef   *SourceRef         `json:"sourceRef,omitempty"`
	Digest      string             `json:"digest,omitempty"`
	CreatedBy   string             `json:"createdBy"`
	FinalizedBy string             `json:"finalizedBy,omitempty"`
	FinalizedAt *time.Time         `json:"finalizedAt,omitempty"`
	CreatedAt   time.Time          `json:"createdAt"`
	UpdatedAt   time.Time          `json:"updatedAt"`
	Version     int                `json:"version"`
}

// ReleaseComponent pins one component of a release to a digest. Tag is kept only
// to show where the digest came from; nothing downstream uses it.
type ReleaseComponent struct {
	ComponentID string `json:"componentId"`
	Name        string `json:"name"`
	Repository  string `json:"repository"`
	Digest      string `json:"digest"`
	Tag         string `json:"tag,omitempty"`
	Semver      string `json:"semver,omitempty"`
	Role        string `json:"role"`
}

// Ref is the digest-pinned image reference "repository@sha256:…".
func (c ReleaseComponent) Ref() string { return c.Repository + "@" + c.Digest }

// SourceRef points at the commit a release was built from.
type SourceRef struct {
	SCM        string `json:"scm"`
	Repository string `json:"repository"`
	Commit     string `json:"commit"`
	Branch     string `json:"branch,omitempty"`
}

// Manifest is the canonical content of a release; its JCS digest is the release digest.
type Manifest struct {
	Schema     string              `json:"schema"`
	Name       string              `json:"name"`
	Components []ManifestComponent `json:"components"`
}

// ManifestComponent is one pinned image in a manifest.
type ManifestComponent struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
	Role       string `json:"role"`
}

// Manifest returns the release's manifest, components sorted by name.
func (r *Release) Manifest() Manifest {
	m := Manifest{Schema: ManifestSchema, Name: r.Name, Components: make([]ManifestComponent, len(r.Components))}
	for i, c := range r.Components {
		m.Components[i] = ManifestComponent{Name: c.Name, Repository: c.Repository, Digest: c.Digest, Role: c.Role}
	}
	sort.Slice(m.Components, func(i, j int) bool { return m.Components[i].Name < m.Components[j].Name })
	return m
}

// CanonicalManifest returns the RFC 8785 bytes of the manifest and their digest.
func (r *Release) CanonicalManifest() ([]byte, string, error) {
	b, err := canon.Marshal(r.Manifest())
	if err != nil {
		return nil, "", err
	}
	return b, canon.SHA256(b), nil
}

// Draft is the input for creating a release.
type Draft struct {
	Name        string
	DisplayName string
	Application string // defaults to the name up to its first "-v" or "-"
	SourceRef   *SourceRef
}

func (d *Draft) validate() error {
	v := validator{}
	v.check(releaseName.MatchString(d.Name), "name", "%q is not a valid release name (lowercase letters, digits, '.', '_' and '-')", d.Name)
	if d.Application != "" {
		checkDNSLabel(&v, "application", d.Application)
	}
	if s := d.SourceRef; s != nil {
		v.check(s.Repository != "" && s.Commit != "", "sourceRef", "repository and commit are required")
	}
	return v.err()
}

// defaultApplication derives "myapp" from "myapp-v2.3.1".
func defaultApplication(name string) string {
	if i := strings.Index(name, "-v"); i > 0 {
		name = name[:i]
	} else if i := strings.LastIndex(name, "-"); i > 0 {
		name = name[:i]
	}
	name = strings.Trim(strings.NewReplacer(".", "-", "_", "-").Replace(name), "-")
	if len(name) > 63 {
		name = strings.Trim(name[:63], "-")
	}
	return name
}

// ComponentRef names the image to add to a release: a component plus either a tag,
// resolved to a digest at once, or a digest.
type ComponentRef struct {
	Component string // component id or name
	Tag       string
	Digest    string
	Role      string // primary by default
}

func (c *ComponentRef) validate() error {
	v := validator{}
	v.check(c.Component != "", "component", "is required")
	switch {
	case c.Tag == "" && c.Digest == "":
		v.add("tag", "a tag or a digest is required")
	case c.Tag != "" && c.Digest != "":
		v.add("digest", "give a tag or a digest, not both")
	case c.Tag != "":
		if err := ValidateTag(c.Tag); err != nil {
			v.add("tag", "%v", err)
		}
	default:
		if err := ValidateDigest(c.Digest); err != nil {
			v.add("digest", "%v", err)
		}
	}
	switch c.Role {
	case "", RolePrimary, RoleSidecar, RoleInit, RoleMigration:
	default:
		v.add("role", "%q is not one of primary, sidecar, init, migration", c.Role)
	}
	return v.err()
}

func (r *Release) mustBeDraft(action string) error {
	if r.Status != StatusDraft {
		return &fault.ConflictError{Kind: "release", Key: r.Name, Reason: fmt.Sprintf("is %s and cannot be changed (%s)", r.Status, action)}
	}
	return nil
}
