package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/broker"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/tenant"
)

// EventCurrentReleaseChanged is the environment event of a promotion
// reaching deployed: the environment's current release of its application
// changed.
const EventCurrentReleaseChanged = "environment.current_release_changed"

// subscriptionBuffer is how many updates a subscriber may have unread
// before its stream is ended (SUBSCRIBER_BEHIND).
const subscriptionBuffer = 256

// Feeds carry what the subscriptions deliver, inside one server process:
// the promotion service's transitions (Promotion, a
// release.PromotionsTransitions hook) and the catalog's environment events
// (Publish, a release.Publisher). Promotions moved by another server
// process on the same database are not seen.
type Feeds struct {
	log          *slog.Logger
	promotions   *broker.Broker[release.PromotionEvent]
	environments *broker.Broker[release.Event]
	workflows    *broker.Broker[runner.Event]
}

// NewFeeds returns feeds with no subscribers; log receives the internal
// errors that end a subscription.
func NewFeeds(log *slog.Logger) *Feeds {
	return &Feeds{log: log, promotions: broker.New[release.PromotionEvent](), environments: broker.New[release.Event](),
		workflows: broker.New[runner.Event]()}
}

// Promotion hands a transition to the promotion subscribers; a deployment
// also updates its environment.
func (f *Feeds) Promotion(e release.PromotionEvent) {
	f.promotions.Publish(e)
	p := e.Promotion
	if p.Status == release.PromotionDeployed && e.From == release.PromotionDeploying {
		f.environments.Publish(release.Event{Type: EventCurrentReleaseChanged, TenantID: p.TenantID, EntityID: p.TargetEnvironmentID,
			At: p.UpdatedAt, Data: map[string]string{"application": p.Application, "releaseId": p.ReleaseID, "promotionId": p.ID}})
	}
}

// Workflow hands a workflow run's event to the workflowRunEvents
// subscribers (a runner.WithEvents hook).
func (f *Feeds) Workflow(e runner.Event) { f.workflows.Publish(e) }

// Publish implements release.Publisher: environment updates go to the
// environment subscribers, other catalog events nowhere.
func (f *Feeds) Publish(_ context.Context, e release.Event) {
	if e.Type == release.EventEnvironmentUpdated {
		f.environments.Publish(e)
	}
}

// Subscribers is the number of open subscriptions.
func (f *Feeds) Subscribers() int {
	return f.promotions.Len() + f.environments.Len() + f.workflows.Len()
}

// Close ends every subscription.
func (f *Feeds) Close() {
	f.promotions.Close()
	f.environments.Close()
	f.workflows.Close()
}

var (
	errNoFeeds = &fault.PreconditionError{Kind: "server", Key: "subscriptions", Code: "SUBSCRIPTIONS_UNAVAILABLE",
		Reason: "this server does not run subscriptions"}
	errNotWebsocket = &fault.PreconditionError{Kind: "server", Key: "subscriptions", Code: "WEBSOCKET_REQUIRED",
		Reason: "subscriptions are served over a websocket (graphql-transport-ws or graphql-ws) at /graphql"}
	errBehind = &fault.PreconditionError{Kind: "subscription", Key: "updates", Code: "SUBSCRIBER_BEHIND",
		Reason: fmt.Sprintf("the subscriber fell %d updates behind; read the current state and subscribe again", subscriptionBuffer)}
)

// subscribe checks that ctx is a websocket operation of an authenticated
// tenant and returns the feeds and the tenant.
func (r *Resolver) subscribe(ctx context.Context) (*Feeds, string, error) {
	if r.Feeds == nil {
		return nil, "", errNoFeeds
	}
	if !overWebsocket(ctx) {
		return nil, "", errNotWebsocket
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, "", err
	}
	return r.Feeds, sc.Tenant, nil
}

func (r *Resolver) promotionUpdates(ctx context.Context, id *string, environment *string) (<-chan *release.Promotion, error) {
	f, tn, err := r.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	var envID string
	if environment != nil {
		env, err := r.gateEnvironment(ctx, *environment)
		if err != nil {
			return nil, err
		}
		envID = env.ID
	}
	sub := f.promotions.Subscribe(ctx, subscriptionBuffer, func(e release.PromotionEvent) bool {
		p := &e.Promotion
		return p.TenantID == tn && (id == nil || p.ID == *id) && (envID == "" || p.TargetEnvironmentID == envID)
	})
	return relay(ctx, sub, func(e release.PromotionEvent) (*release.Promotion, error) {
		p := e.Promotion // the value the transition wrote: its status is the transition's
		return &p, nil
	}, f.fail(ctx)), nil
}

func (r *Resolver) environmentUpdates(ctx context.Context, id *string) (<-chan *release.Environment, error) {
	f, tn, err := r.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	var envID string
	if id != nil {
		env, err := r.Catalog.Environment(ctx, *id)
		if err != nil {
			return nil, err
		}
		envID = env.ID
	}
	sub := f.environments.Subscribe(ctx, subscriptionBuffer, func(e release.Event) bool {
		return e.TenantID == tn && (envID == "" || e.EntityID == envID)
	})
	return relay(ctx, sub, func(e release.Event) (*release.Environment, error) {
		env, err := r.Catalog.Environment(ctx, e.EntityID) // as it is now, with its current releases
		if errors.Is(err, fault.ErrNotFound) {
			return nil, nil // deleted since: nothing to show
		}
		return env, err
	}, f.fail(ctx)), nil
}

// fail ends a websocket operation's stream with err, as a GraphQL error.
func (f *Feeds) fail(ctx context.Context) func(error) {
	return func(err error) { transport.AddSubscriptionError(ctx, presentError(ctx, f.log, err)) }
}

// relay turns a subscription's values into the channel gqlgen reads, with
// conv (a nil result is skipped). The stream ends with the subscription or
// ctx; an error (conv's, or falling behind) is handed to fail first.
func relay[T any, V any](ctx context.Context, sub *broker.Subscription[T], conv func(T) (*V, error), fail func(error)) <-chan *V {
	out := make(chan *V)
	go func() {
		defer close(out)
		for e := range sub.C() {
			v, err := conv(e)
			if err != nil {
				fail(err)
				return
			}
			if v == nil {
				continue
			}
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
		}
		if errors.Is(sub.Err(), broker.ErrBehind) {
			fail(errBehind)
		}
	}()
	return out
}
