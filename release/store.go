package release

import (
	"context"
	"time"
)

// Store persists the release catalog. Every method is scoped by tenant: a row of
// another tenant reads as fault.ErrNotFound. Implementations return *fault.NotFoundError for
// missing rows and *fault.ConflictError for unique-key clashes and stale versions.
// The store in package store implements it on SQLite and PostgreSQL; package
// release/storetest checks any implementation.
type Store interface {
	// InTx runs fn in one transaction: either all of fn's writes land or none do.
	InTx(ctx context.Context, fn func(tx Store) error) error

	CreateEnvironment(ctx context.Context, e *Environment) error
	// UpdateEnvironment writes e if the stored version is e.Version-1.
	UpdateEnvironment(ctx context.Context, e *Environment) error
	GetEnvironment(ctx context.Context, tenant, key string) (*Environment, error) // key: id or name
	ListEnvironments(ctx context.Context, tenant string, opts ListOptions) (*Page[Environment], error)
	DeleteEnvironment(ctx context.Context, tenant, id string) error
	// EnvironmentUsage counts what still depends on an environment.
	EnvironmentUsage(ctx context.Context, tenant, id string) (Usage, error)

	CreateTarget(ctx context.Context, t *Target) error
	UpdateTarget(ctx context.Context, t *Target) error
	GetTarget(ctx context.Context, tenant, key string) (*Target, error)
	ListTargets(ctx context.Context, tenant string, f TargetFilter, opts ListOptions) (*Page[Target], error)
	DeleteTarget(ctx context.Context, tenant, id string) error

	CreateIntegration(ctx context.Context, i *Integration) error
	UpdateIntegration(ctx context.Context, i *Integration) error
	GetIntegration(ctx context.Context, tenant, key string) (*Integration, error)
	ListIntegrations(ctx context.Context, tenant string, f IntegrationFilter, opts ListOptions) (*Page[Integration], error)
	DeleteIntegration(ctx context.Context, tenant, id string) error
	// LastIntegrationOfType returns the most recently created integration of a type (the connection profile).
	LastIntegrationOfType(ctx context.Context, tenant, typ string) (*Integration, error)
	// IntegrationUsage counts the components that use an integration.
	IntegrationUsage(ctx context.Context, tenant, id string) (int, error)

	CreateComponent(ctx context.Context, c *Component) error
	// UpdateComponent writes c if the stored version is c.Version-1.
	UpdateComponent(ctx context.Context, c *Component) error
	GetComponent(ctx context.Context, tenant, key string) (*Component, error)
	ListComponents(ctx context.Context, tenant string, f ComponentFilter, opts ListOptions) (*Page[Component], error)
	DeleteComponent(ctx context.Context, tenant, id string) error
	// ComponentUsage counts the releases that pin a component.
	ComponentUsage(ctx context.Context, tenant, id string) (int, error)

	// AppendVersions adds version map entries; entries are never updated.
	AppendVersions(ctx context.Context, entries []VersionEntry) error
	// LatestVersions returns the newest entry per tag of a component.
	LatestVersions(ctx context.Context, tenant, componentID string) ([]VersionEntry, error)
	ListVersions(ctx context.Context, tenant string, f VersionFilter, opts ListOptions) (*Page[VersionEntry], error)

	CreateRelease(ctx context.Context, r *Release) error
	// UpdateRelease writes r and its components if the stored version is r.Version-1.
	UpdateRelease(ctx context.Context, r *Release) error
	GetRelease(ctx context.Context, tenant, key string) (*Release, error)
	ListReleases(ctx context.Context, tenant string, f ReleaseFilter, opts ListOptions) (*Page[Release], error)
	DeleteRelease(ctx context.Context, tenant, id string) error

	// AppendAudit adds an audit entry. The audit log has no update or delete.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, tenant string, f AuditFilter, opts ListOptions) (*Page[AuditEntry], error)
}

// Usage counts what depends on an environment.
type Usage struct {
	Targets         int
	CurrentReleases int
}

// ListOptions selects one page of a list: First items after the cursor After.
type ListOptions struct {
	First int    // 0 means DefaultPageSize; capped at MaxPageSize
	After string // an opaque cursor from a previous page
}

// Page sizes for lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Limit returns the page size to use.
func (o ListOptions) Limit() int {
	switch {
	case o.First <= 0:
		return DefaultPageSize
	case o.First > MaxPageSize:
		return MaxPageSize
	}
	return o.First
}

// Page is one page of a list. Cursors[i] is the cursor just after Items[i].
// Environments order by orderIndex, targets, integrations and components by
// name, and releases, versions and audit entries newest first.
type Page[T any] struct {
	Items   []T
	Cursors []string
	HasNext bool
}

// EndCursor is the cursor after the last item, or "".
func (p *Page[T]) EndCursor() string {
	if len(p.Cursors) == 0 {
		return ""
	}
	return p.Cursors[len(p.Cursors)-1]
}

// TargetFilter narrows a target list; zero fields match everything.
type TargetFilter struct {
	EnvironmentID string
	Type          TargetType
	Label         map[string]string // every label must match
	NameContains  string
}

// IntegrationFilter narrows an integration list.
type IntegrationFilter struct {
	Type         string
	Category     string // "registry", "scm"
	NameContains string
}

// ComponentFilter narrows a component list.
type ComponentFilter struct {
	NameContains          string
	RegistryIntegrationID string
}

// VersionFilter narrows a version map listing.
type VersionFilter struct {
	ComponentID string
	Tag         string
}

// ReleaseFilter narrows a release list.
type ReleaseFilter struct {
	NameContains  string
	Application   string
	Component     string // component name
	Digest        string // a release digest or a component image digest
	Status        Status
	CreatedAfter  *time.Time // inclusive
	CreatedBefore *time.Time // exclusive
}

// AuditEntry records one mutation: who did what to which object, with digests
// of the object before and after.
type AuditEntry struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenantId"`
	Actor        string    `json:"actor"`
	Action       string    `json:"action"` // e.g. "release.finalize"
	EntityType   string    `json:"entityType"`
	EntityID     string    `json:"entityId"`
	BeforeDigest string    `json:"beforeDigest,omitempty"`
	AfterDigest  string    `json:"afterDigest,omitempty"`
	At           time.Time `json:"at"`
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Actor      string
	Action     string
	EntityType string
	EntityID   string
}
