package broker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// drain reads s until it ends and returns what it read.
func drain[T any](s *Subscription[T]) []T {
	var got []T
	for v := range s.C() {
		got = append(got, v)
	}
	return got
}

func TestPublishInOrderWithFilter(t *testing.T) {
	b := New[int]()
	all := b.Subscribe(t.Context(), 10, nil)
	even := b.Subscribe(t.Context(), 10, func(v int) bool { return v%2 == 0 })
	for i := range 6 {
		b.Publish(i)
	}
	b.Close()
	if got := drain(all); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("all = %v", got)
	}
	if got := drain(even); !slices.Equal(got, []int{0, 2, 4}) {
		t.Errorf("even = %v", got)
	}
	if !errors.Is(all.Err(), ErrClosed) || !errors.Is(even.Err(), ErrClosed) {
		t.Errorf("errors after Close = %v, %v; want ErrClosed", all.Err(), even.Err())
	}
}

// A subscriber that falls behind is ended with ErrBehind after the values
// it had room for; the others keep every value.
func TestSlowSubscriberEnded(t *testing.T) {
	b := New[int]()
	slow := b.Subscribe(t.Context(), 2, nil)
	fast := b.Subscribe(t.Context(), 10, nil)
	for i := range 5 {
		b.Publish(i)
	}
	if got := drain(slow); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("slow subscriber read %v, want the 2 it had room for", got)
	}
	if !errors.Is(slow.Err(), ErrBehind) {
		t.Errorf("slow subscriber ended with %v, want ErrBehind", slow.Err())
	}
	if b.Len() != 1 {
		t.Errorf("open subscriptions = %d, want 1", b.Len())
	}
	b.Close()
	if got := drain(fast); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("fast subscriber read %v", got)
	}
}

func TestContextEndUnsubscribes(t *testing.T) {
	b := New[string]()
	ctx, cancel := context.WithCancel(t.Context())
	s := b.Subscribe(ctx, 4, nil)
	b.Publish("a")
	cancel()
	if got := drain(s); len(got) > 1 {
		t.Errorf("read %v after cancel", got)
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("ended with %v, want context.Canceled", s.Err())
	}
	if b.Len() != 0 {
		t.Errorf("open subscriptions = %d, want 0", b.Len())
	}
	b.Publish("b") // nobody left: must neither block nor panic
}

func TestSubscribeAfterClose(t *testing.T) {
	b := New[int]()
	b.Close()
	s := b.Subscribe(t.Context(), 1, nil)
	if got := drain(s); len(got) != 0 || !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("subscription to a closed broker: %v, %v", got, s.Err())
	}
}

// Concurrent publishers and subscribers: each subscriber that keeps up
// sees each publisher's values in the order published, none missing.
func TestConcurrent(t *testing.T) {
	const publishers, each, subscribers = 4, 200, 6
	b := New[[2]int]()
	subs := make([]*Subscription[[2]int], subscribers)
	for i := range subs {
		subs[i] = b.Subscribe(t.Context(), publishers*each, nil)
	}
	// Subscriptions that come and go meanwhile must not disturb the others.
	var churn sync.WaitGroup
	for range 4 {
		churn.Go(func() {
			for range 50 {
				ctx, cancel := context.WithCancel(t.Context())
				s := b.Subscribe(ctx, 1, nil)
				cancel()
				drain(s)
			}
		})
	}
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				b.Publish([2]int{p, i})
			}
		})
	}
	wg.Wait()
	churn.Wait()
	b.Close()
	for n, s := range subs {
		next := make([]int, publishers)
		for v := range s.C() {
			if v[1] != next[v[0]] {
				t.Fatalf("subscriber %d: publisher %d's value %d came when %d was due", n, v[0], v[1], next[v[0]])
			}
			next[v[0]]++
		}
		for p, c := range next {
			if c != each {
				t.Errorf("subscriber %d read %d of publisher %d's %d values", n, c, p, each)
			}
		}
	}
}
