package release

import (
	"sort"
	"time"
)

// TargetType says how Stella reaches a target. docker_host and compose_host
// deploy in v1; the others are accepted and reserved for later deployers.
type TargetType string

const (
	TargetDockerHost  TargetType = "docker_host"
	TargetComposeHost TargetType = "compose_host"
	TargetSSHHost     TargetType = "ssh_host"
	TargetECSService  TargetType = "ecs_service"
	TargetNomadJob    TargetType = "nomad_job"
)

// Health is the last known health of a target or integration.
type Health string

const (
	HealthUnknown   Health = "unknown"
	HealthHealthy   Health = "healthy"
	HealthDegraded  Health = "degraded"
	HealthUnhealthy Health = "unhealthy"
)

// Target is a host or service that runs releases for one environment.
// Secret connection settings are sealed at rest; only their keys are visible.
type Target struct {
	ID                string            `json:"id"`
	TenantID          string            `json:"tenantId"`
	Name              string            `json:"name"`
	EnvironmentID     string            `json:"environmentId"`
	Type              TargetType        `json:"type"`
	Labels            map[string]string `json:"labels"`
	Connection        map[string]string `json:"connection"`
	SecretKeys        []string          `json:"secretKeys"` // names of the sealed settings, never values
	Sealed            []byte            `json:"-"`          // the secret settings, sealed; opened only by the Service
	AgentID           string            `json:"agentId,omitempty"`
	HealthStatus      Health            `json:"healthStatus"`
	LastHealthCheckAt *time.Time        `json:"lastHealthCheckAt,omitempty"`
	CreatedAt         time.Time         `json:"createdAt"`
	UpdatedAt         time.Time         `json:"updatedAt"`
	Version           int               `json:"version"`
}

// TargetSpec is the input for registering a target. Secrets are write-only.
type TargetSpec struct {
	Name        string
	Environment string // id or name
	Type        TargetType
	Labels      map[string]string
	Connection  map[string]string
	Secrets     map[string]string
	AgentID     string
}

func (s *TargetSpec) validate() error {
	v := validator{}
	checkDNSLabel(&v, "name", s.Name)
	v.check(s.Environment != "", "environment", "is required")
	switch s.Type {
	case TargetDockerHost, TargetComposeHost, TargetSSHHost, TargetECSService, TargetNomadJob:
	default:
		v.add("type", "%q is not one of docker_host, compose_host, ssh_host, ecs_service, nomad_job", s.Type)
	}
	for k := range s.Secrets {
		_, clash := s.Connection[k]
		v.check(!clash, "secrets."+k, "is also given as a plain connection setting")
	}
	return v.err()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
