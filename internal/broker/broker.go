package broker

import (
	"context"
	"errors"
	"sync"
)

var (
	// ErrBehind ends a subscription whose buffer was full when a value came.
	ErrBehind = errors.New("subscriber fell behind")
	// ErrClosed ends the subscriptions of a closed broker.
	ErrClosed = errors.New("broker closed")
)

// Broker hands every published value to each subscription that keeps it,
// in the order Publish was called. The zero value is not usable; use New.
// It is safe for concurrent use.
type Broker[T any] struct {
	mu     sync.Mutex
	subs   map[*Subscription[T]]struct{}
	closed bool
}

// New returns a broker with no subscribers.
func New[T any]() *Broker[T] {
	return &Broker[T]{subs: map[*Subscription[T]]struct{}{}}
}

// Subscription is one subscriber's stream.
type Subscription[T any] struct {
	c    chan T
	keep func(T) bool
	stop func() bool
	err  error
}

// C delivers the values kept, in order; it is closed when the
// subscription ends (Err says why).
func (s *Subscription[T]) C() <-chan T { return s.c }

// Err is why the subscription ended: ErrBehind, ErrClosed or the cause of
// its context's end. Call it only after C is closed.
func (s *Subscription[T]) Err() error { return s.err }

// Subscribe starts a subscription holding up to buffer values (at least
// one) not yet read. keep selects the values it wants (nil: all); it runs
// inside Publish, so it must be quick and must not call the broker. The
// subscription ends when ctx does.
func (b *Broker[T]) Subscribe(ctx context.Context, buffer int, keep func(T) bool) *Subscription[T] {
	s := &Subscription[T]{c: make(chan T, max(buffer, 1)), keep: keep}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.err = ErrClosed
		close(s.c)
		return s
	}
	b.subs[s] = struct{}{}
	// The callback takes b.mu, so it cannot run before this returns.
	s.stop = context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.end(s, context.Cause(ctx))
	})
	return s
}

// Publish hands v to every subscription that keeps it, without blocking.
func (b *Broker[T]) Publish(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.keep != nil && !s.keep(v) {
			continue
		}
		select {
		case s.c <- v:
		default:
			b.end(s, ErrBehind)
		}
	}
}

// Close ends every subscription with ErrClosed; later ones start ended.
func (b *Broker[T]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.end(s, ErrClosed)
	}
}

// Len is the number of open subscriptions.
func (b *Broker[T]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// end closes s with err once; b.mu is held.
func (b *Broker[T]) end(s *Subscription[T], err error) {
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	s.err = err
	close(s.c)
	s.stop()
}
