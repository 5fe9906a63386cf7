package release

import (
	"regexp"
	"time"
)

// Versioning strategies for a component's tags.
const (
	VersionSemver     = "semver"
	VersionDate       = "date"
	VersionSequential = "sequential"
	VersionManual     = "manual"
)

// Component is a deployable image: a repository in a registry integration and
// the rules that turn its tags into versions.
type Component struct {
	ID                    string            `json:"id"`
	TenantID              string            `json:"tenantId"`
	Name                  string            `json:"name"`
	DisplayName           string            `json:"displayName"`
	ImageRepository       string            `json:"imageRepository"`
	RegistryIntegrationID string            `json:"registryIntegrationId"`
	Versioning            Versioning        `json:"versioning"`
	DefaultChannel        string            `json:"defaultChannel"`
	DeploymentTemplate    string            `json:"deploymentTemplate"` // a workflow template name; "" runs default-deploy
	Metadata              map[string]string `json:"metadata"`
	CreatedAt             time.Time         `json:"createdAt"`
	UpdatedAt             time.Time         `json:"updatedAt"`
	Version               int               `json:"version"`
}

// Versioning selects which tags count as versions and how they order.
type Versioning struct {
	Type          string `json:"type"`
	TagPattern    string `json:"tagPattern"`    // regex a tag must match in full; empty matches all
	SemverExtract string `json:"semverExtract"` // regex whose first group is the semver; empty uses the tag
}

// ComponentSpec is the input for creating a component.
type ComponentSpec struct {
	Name            string
	DisplayName     string
	ImageRepository string // "host[:port]/path", or a path inside the integration's registry
	Registry        string // integration id or name
	Versioning      Versioning
	DefaultChannel  string
	// DeploymentTemplate names the workflow template that deploys the
	// component; it must be in the tenant's catalog. "" runs default-deploy.
	DeploymentTemplate string
	Metadata           map[string]string
}

func (s *ComponentSpec) validate() error {
	v := validator{}
	checkDNSLabel(&v, "name", s.Name)
	v.check(s.ImageRepository != "", "imageRepository", "is required")
	v.check(s.Registry != "", "registry", "is required")
	switch s.Versioning.Type {
	case "", VersionSemver, VersionDate, VersionSequential, VersionManual:
	default:
		v.add("versioning.type", "%q is not one of semver, date, sequential, manual", s.Versioning.Type)
	}
	for field, pattern := range map[string]string{"versioning.tagPattern": s.Versioning.TagPattern, "versioning.semverExtract": s.Versioning.SemverExtract} {
		if pattern == "" {
			continue
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			v.add(field, "invalid regular expression: %v", err)
		} else if field == "versioning.semverExtract" && re.NumSubexp() < 1 {
			v.add(field, "needs a capture group for the version")
		}
	}
	return v.err()
}

// VersionEntry records what one tag of a component pointed to when it was synced.
// Entries are appended: when a tag moves, a new entry is added and the old one stays.
type VersionEntry struct {
	ID            string    `json:"id"`
	TenantID      string    `json:"tenantId"`
	ComponentID   string    `json:"componentId"`
	Tag           string    `json:"tag"`
	Digest        string    `json:"digest"`
	Semver        string    `json:"semver,omitempty"`
	Channel       string    `json:"channel"`
	Prerelease    string    `json:"prerelease,omitempty"`
	BuildMetadata string    `json:"buildMetadata,omitempty"`
	ResolvedAt    time.Time `json:"resolvedAt"`
	Source        string    `json:"source"` // auto | manual
}
