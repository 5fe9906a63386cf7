package release

import (
	"net/url"
	"strings"
	"time"
)

// Integration types Stella knows, as "<category>.<vendor>".
const (
	IntegrationOCI    = "registry.oci"
	IntegrationHarbor = "registry.harbor"
	IntegrationGitHub = "scm.github"
	// IntegrationWebhook is an http(s) URL that workflow notify steps POST
	// their messages to.
	IntegrationWebhook = "notify.webhook"
)

// AuthMode says how an integration authenticates.
type AuthMode string

const (
	AuthNone  AuthMode = "none"
	AuthToken AuthMode = "token"
	AuthBasic AuthMode = "basic"
)

// Integration is a connection to an outside system: an OCI registry, Harbor or GitHub.
// Its credential is sealed at rest and never returned; HasCredential says whether one is set.
type Integration struct {
	ID                string            `json:"id"`
	TenantID          string            `json:"tenantId"`
	Name              string            `json:"name"`
	Type              string            `json:"type"`
	Config            IntegrationConfig `json:"config"`
	HasCredential     bool              `json:"hasCredential"`
	Sealed            []byte            `json:"-"` // the credential, sealed; opened only by the Service
	HealthStatus      Health            `json:"healthStatus"`
	LastHealthCheckAt *time.Time        `json:"lastHealthCheckAt,omitempty"`
	LastHealthMessage string            `json:"lastHealthMessage"`
	CreatedAt         time.Time         `json:"createdAt"`
	UpdatedAt         time.Time         `json:"updatedAt"`
	Version           int               `json:"version"`
}

// Category is the part of the type before the dot ("registry", "scm").
func (i *Integration) Category() string { c, _, _ := strings.Cut(i.Type, "."); return c }

// IntegrationConfig is the non-secret part of an integration.
type IntegrationConfig struct {
	Endpoint       string            `json:"endpoint"` // registry host[:port] or base URL
	AuthMode       AuthMode          `json:"authMode"`
	Insecure       bool              `json:"insecure"` // plain HTTP, for registries on loopback
	TimeoutSeconds int               `json:"timeoutSeconds"`
	Headers        map[string]string `json:"headers"`
}

// Credential is the secret part of an integration: a username and password, or a token.
type Credential struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
}

func (c *Credential) empty() bool { return c == nil || *c == Credential{} }

// IntegrationSpec is the input for creating an integration. A zero Config.Endpoint
// is pre-filled from the last integration of the same type (the connection
// profile); its credential is copied only when ReuseCredential is set.
type IntegrationSpec struct {
	Name            string
	Type            string
	Config          IntegrationConfig
	Credential      *Credential
	ReuseCredential bool
}

func (s *IntegrationSpec) validate() error {
	v := validator{}
	checkDNSLabel(&v, "name", s.Name)
	switch s.Type {
	case IntegrationOCI, IntegrationHarbor, IntegrationGitHub:
	case IntegrationWebhook:
		u, err := url.Parse(s.Config.Endpoint)
		v.check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", "config.endpoint",
			"a %s integration needs an http(s) URL, got %q", IntegrationWebhook, s.Config.Endpoint)
	default:
		v.add("type", "%q is not one of %s, %s, %s, %s", s.Type, IntegrationOCI, IntegrationHarbor, IntegrationGitHub, IntegrationWebhook)
	}
	switch s.Config.AuthMode {
	case "", AuthNone, AuthToken, AuthBasic:
	default:
		v.add("config.authMode", "%q is not one of none, token, basic", s.Config.AuthMode)
	}
	if e := s.Config.Endpoint; e != "" {
		if strings.Contains(e, "://") {
			u, err := url.Parse(e)
			v.check(err == nil && u.Host != "", "config.endpoint", "%q is not a valid URL", e)
		} else {
			v.check(!strings.ContainsAny(e, " /@"), "config.endpoint", "%q is not a host[:port]", e)
		}
	}
	v.check(s.Config.TimeoutSeconds >= 0, "config.timeoutSeconds", "must be 0 or more")
	if c := s.Credential; !c.empty() {
		switch s.Config.AuthMode {
		case AuthBasic:
			v.check(c.Username != "" && c.Password != "", "credential", "basic auth needs a username and a password")
		case AuthToken:
			v.check(c.Token != "", "credential.token", "token auth needs a token")
		}
	}
	return v.err()
}

// timeout returns the configured timeout, 30 s by default.
func (c IntegrationConfig) timeout() time.Duration {
	if c.TimeoutSeconds > 0 {
		return time.Duration(c.TimeoutSeconds) * time.Second
	}
	return 30 * time.Second
}
