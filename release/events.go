package release

import (
	"context"
	"time"
)

// Event is something that happened in the catalog, for subscribers such as the
// server's GraphQL subscriptions. Events are published after the change commits.
type Event struct {
	Type     string            `json:"type"` // e.g. "integration.health_changed", "version.updated"
	TenantID string            `json:"tenantId"`
	EntityID string            `json:"entityId"`
	At       time.Time         `json:"at"`
	Data     map[string]string `json:"data,omitempty"`
}

// Publisher receives events. It must not block for long.
type Publisher interface {
	Publish(ctx context.Context, e Event)
}

// PublisherFunc adapts a function to a Publisher.
type PublisherFunc func(ctx context.Context, e Event)

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, e Event) { f(ctx, e) }

// WithPublisher sets where events go; by default they are dropped.
func WithPublisher(p Publisher) Option { return func(s *Service) { s.events = p } }

func (s *Service) publish(ctx context.Context, typ, tenant, id string, data map[string]string) {
	if s.events != nil {
		s.events.Publish(ctx, Event{Type: typ, TenantID: tenant, EntityID: id, At: s.clock(), Data: data})
	}
}
