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

// PromotionEvent is one transition of a promotion, every one of them
// (release.md §2), with the promotion as that transition left it: a
// subscriber sees the status the transition reached, not a later one read
// back. Event is the spec event the edge emits (rule 6); its Type is ""
// for the edges that emit none (requested → pending_gate, …).
type PromotionEvent struct {
	Promotion Promotion
	From      PromotionStatus // "" for the request that created it
	Trigger   Trigger         // "" for the request
	Event     Event
}

// PromotionsTransitions calls fn with every transition of every promotion
// (and its creation), in the order each goroutine committed them, after
// the transaction that wrote it commits. Two writers racing on one
// promotion (two approvals at once) may hand adjacent transitions over in
// either order; Promotion.Version, one more at each transition, orders them.
func PromotionsTransitions(fn func(PromotionEvent)) PromotionsOption {
	return func(s *Promotions) { s.onTransition = fn }
}
