package multilevel

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// localBus is the Bus of the in-process stores (MemoryStore, GCFreeStore),
// which embed it: it delivers invalidations between the caches of one
// process that share the store, and holds the store's closed flag. The
// zero value is ready to use.
type localBus struct {
	closed atomic.Bool
	mu     sync.Mutex
	subs   map[string][]*localSub // by namespace
}

type localSub struct {
	s       Subscriber
	stopped atomic.Bool
}

// Publish calls the Message function of every subscriber of m.Namespace,
// in turn, on this goroutine, with no lock held.
func (b *localBus) Publish(ctx context.Context, m Message) error {
	if err := b.check(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	subs := slices.Clone(b.subs[m.Namespace])
	b.mu.Unlock()
	for _, sub := range subs {
		if !sub.stopped.Load() && sub.s.Message != nil {
			sub.s.Message(m)
		}
	}
	return nil
}

// Subscribe registers sub for the messages of namespace and calls its Up
// function before it returns; the subscription is never interrupted, so Up
// is called only that once. Messages are delivered on the publishers'
// goroutines, so sub's functions may run concurrently. Once stop returns,
// sub is sent nothing new; a call already being made elsewhere may still
// finish.
func (b *localBus) Subscribe(namespace string, sub Subscriber) (stop func(), err error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	return b.subscribe(namespace, sub), nil
}

// check returns ErrClosed once the store is closed, else ctx's error.
func (b *localBus) check(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// subscribe registers sub, calls its Up function and returns the function
// that ends the subscription.
func (b *localBus) subscribe(namespace string, sub Subscriber) (stop func()) {
	ls := &localSub{s: sub}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[string][]*localSub)
	}
	b.subs[namespace] = append(b.subs[namespace], ls)
	b.mu.Unlock()
	if sub.Up != nil {
		sub.Up()
	}
	return func() {
		ls.stopped.Store(true)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.subs[namespace] = slices.DeleteFunc(b.subs[namespace], func(x *localSub) bool { return x == ls })
		if len(b.subs[namespace]) == 0 {
			delete(b.subs, namespace)
		}
	}
}
