package release

import (
	"fmt"
	"sort"
	"time"
)

// Tier classifies an environment; production tiers get the strictest defaults.
type Tier string

const (
	TierDevelopment Tier = "development"
	TierStaging     Tier = "staging"
	TierProduction  Tier = "production"
)

// DefaultDeploymentTimeout applies when an environment sets none.
const DefaultDeploymentTimeout = 600 * time.Second

// Environment is a stage that releases are promoted through (dev, stage, prod).
type Environment struct {
	ID                         string            `json:"id"`
	TenantID                   string            `json:"tenantId"`
	Name                       string            `json:"name"`
	DisplayName                string            `json:"displayName"`
	OrderIndex                 int               `json:"orderIndex"`
	Tier                       Tier              `json:"tier"`
	RequiredApprovals          int               `json:"requiredApprovals"`
	ApproverGroups             []string          `json:"approverGroups"`
	RequireSeparationOfDuties  bool              `json:"requireSeparationOfDuties"`
	RequirePreviousEnvironment bool              `json:"requirePreviousEnvironment"`
	AutoPromoteFrom            string            `json:"autoPromoteFrom,omitempty"`
	FreezeWindows              []FreezeWindow    `json:"freezeWindows"`
	Config                     EnvironmentConfig `json:"config"`
	Compliance                 string            `json:"compliance"`
	CreatedAt                  time.Time         `json:"createdAt"`
	UpdatedAt                  time.Time         `json:"updatedAt"`
	Version                    int               `json:"version"`
}

// IsProduction reports whether the environment is in the production tier.
func (e *Environment) IsProduction() bool { return e.Tier == TierProduction }

// ActiveFreeze returns the freeze window active at t, if any.
func (e *Environment) ActiveFreeze(t time.Time) (FreezeWindow, bool) {
	for _, w := range e.FreezeWindows {
		if w.Active(t) {
			return w, true
		}
	}
	return FreezeWindow{}, false
}

// EnvironmentConfig holds deployment settings for an environment.
type EnvironmentConfig struct {
	Variables                map[string]string `json:"variables"`
	SecretRefs               []string          `json:"secretRefs"`
	AgentLabels              []string          `json:"agentLabels"`
	DeploymentTimeoutSeconds int               `json:"deploymentTimeoutSeconds"`
}

// FreezeWindow blocks promotions into an environment between Start and End,
// except for the listed users.
type FreezeWindow struct {
	ID         string    `json:"id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Reason     string    `json:"reason"`
	CreatedBy  string    `json:"createdBy"`
	Exceptions []string  `json:"exceptions"`
}

// Active reports whether t falls in [Start, End).
func (w FreezeWindow) Active(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// EnvironmentSpec is the input for creating or replacing an environment.
type EnvironmentSpec struct {
	Name                       string
	DisplayName                string
	OrderIndex                 int
	Tier                       Tier
	RequiredApprovals          int
	ApproverGroups             []string
	RequireSeparationOfDuties  bool
	RequirePreviousEnvironment *bool // nil means the default, true
	AutoPromoteFrom            string
	FreezeWindows              []FreezeWindow
	Config                     EnvironmentConfig
}

func (s *EnvironmentSpec) validate() error {
	v := validator{}
	checkDNSLabel(&v, "name", s.Name)
	v.check(s.OrderIndex >= 0, "orderIndex", "must be 0 or more, got %d", s.OrderIndex)
	switch s.Tier {
	case TierDevelopment, TierStaging, TierProduction:
	default:
		v.add("tier", "%q is not one of development, staging, production", s.Tier)
	}
	v.check(s.RequiredApprovals >= 0, "requiredApprovals", "must be 0 or more, got %d", s.RequiredApprovals)
	v.check(s.Config.DeploymentTimeoutSeconds >= 0, "config.deploymentTimeoutSeconds", "must be 0 or more")
	for i, w := range s.FreezeWindows {
		field := fmt.Sprintf("freezeWindows[%d]", i)
		v.check(!w.Start.IsZero() && !w.End.IsZero(), field, "start and end are required")
		v.check(w.End.After(w.Start), field+".end", "must be after start")
	}
	for k := range s.Config.Variables {
		v.check(k != "", "config.variables", "variable names must not be empty")
	}
	return v.err()
}

// apply copies the spec onto e, normalizing for storage and hashing.
func (s *EnvironmentSpec) apply(e *Environment, newID func() string) {
	e.Name = s.Name
	e.DisplayName = s.DisplayName
	if e.DisplayName == "" {
		e.DisplayName = s.Name
	}
	e.OrderIndex = s.OrderIndex
	e.Tier = s.Tier
	e.RequiredApprovals = s.RequiredApprovals
	e.ApproverGroups = sortedSet(s.ApproverGroups)
	e.RequireSeparationOfDuties = s.RequireSeparationOfDuties
	e.RequirePreviousEnvironment = s.RequirePreviousEnvironment == nil || *s.RequirePreviousEnvironment
	e.AutoPromoteFrom = s.AutoPromoteFrom
	e.FreezeWindows = make([]FreezeWindow, len(s.FreezeWindows))
	for i, w := range s.FreezeWindows {
		if w.ID == "" {
			w.ID = newID()
		}
		w.Start, w.End = w.Start.UTC(), w.End.UTC()
		w.Exceptions = sortedSet(w.Exceptions)
		e.FreezeWindows[i] = w
	}
	sort.Slice(e.FreezeWindows, func(i, j int) bool {
		if !e.FreezeWindows[i].Start.Equal(e.FreezeWindows[j].Start) {
			return e.FreezeWindows[i].Start.Before(e.FreezeWindows[j].Start)
		}
		return e.FreezeWindows[i].ID < e.FreezeWindows[j].ID
	})
	e.Config = s.Config
	if e.Config.Variables == nil {
		e.Config.Variables = map[string]string{}
	}
	e.Config.SecretRefs = sortedSet(e.Config.SecretRefs)
	e.Config.AgentLabels = sortedSet(e.Config.AgentLabels)
	if e.Config.DeploymentTimeoutSeconds == 0 {
		e.Config.DeploymentTimeoutSeconds = int(DefaultDeploymentTimeout / time.Second)
	}
	if e.Compliance == "" {
		e.Compliance = "unknown"
	}
}

// sortedSet returns the distinct non-empty values of in, sorted; never nil.
func sortedSet(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
