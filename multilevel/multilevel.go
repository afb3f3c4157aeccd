// Package multilevel puts a local Strata cache (L1) in front of a shared
// byte store (L2: Redis, or an embedded MemoryStore) and a loader, with
// typed values and cross-instance invalidation.
//
// A Get looks in the L1; on a miss it reads the store and decodes the
// bytes; if the store misses too, it calls Options.Load and writes the
// value back to the store and the L1. However many goroutines miss on a
// key at once, one store read and at most one load run for it per
// instance; with Options.Lease, at most one load runs for it across all
// the instances that share the store, as long as it delivers within
// Lease.Wait. Set and Delete go through both levels and tell the other
// instances, over the store's pub/sub bus, to evict the key from their L1.
//
// The store is an optimisation, never a dependency: every call to it has a
// deadline, a circuit breaker stops calling it once it fails, and a read
// whose store call fails, times out, or returns bytes that do not decode
// goes on to the loader as if the store had missed. Get returns an error
// only when the loader does (or when there is no loader and no level holds
// the key).
//
// See docs/multilevel.md for a walk-through from one process to many, the
// staleness a reader can see, and the behaviour under faults.
package multilevel

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/stratacache/cache"
)

// Errors a Cache returns. ErrNotFound and ErrClosed are the cache
// package's, so errors.Is matches either.
var (
	// ErrNotFound is returned by Get when no level holds the key and the
	// loader reports it does not exist (or there is no loader). Loaders
	// return it, or an error wrapping it, for keys that do not exist.
	ErrNotFound = cache.ErrNotFound

	// ErrClosed is returned by every operation after Close.
	ErrClosed = cache.ErrClosed

	// ErrStoreUnavailable is wrapped by the error of a Set or Delete that
	// was not sent to the store because its circuit breaker is open.
	ErrStoreUnavailable = errors.New("multilevel: store unavailable (circuit breaker open)")
)

// Cache is a two-level cache from K to V. It is safe for concurrent use.
// Make one with New and Close it when done.
type Cache[K comparable, V any] struct {
	c *core[K, V]
}

// New returns a Cache configured by opts, or an error beginning
// "multilevel:" that names the offending field. With a Bus, it subscribes
// to the namespace before returning; the subscription itself may become
// active later (see Stats().Invalidation.Subscribed).
func New[K comparable, V any](opts Options[K, V]) (*Cache[K, V], error) {
	impl, err := newCore(&opts)
	if err != nil {
		return nil, err
	}
	c := &Cache[K, V]{c: impl}
	// A Cache dropped without Close still ends its subscription (and
	// with it the bus's goroutine) once it is collected. Every method
	// keeps c reachable until it returns, so a call whose receiver is the
	// last reference is not closed under.
	runtime.AddCleanup(c, func(impl *core[K, V]) { impl.close() }, impl)
	return c, nil
}

// Must returns c, or panics with err. It is for caches whose options are
// fixed, made at start-up: multilevel.Must(multilevel.New(opts)).
func Must[K comparable, V any](c *Cache[K, V], err error) *Cache[K, V] {
	if err != nil {
		panic(err)
	}
	return c
}

// Get returns the value of key: from the L1 if it holds it; otherwise from
// the store, decoded; otherwise from Options.Load, after which the value is
// written to the store (unless the store is failing) and to the L1.
//
// Concurrent Gets that miss on one key share one pass through the store
// and the loader, on a goroutine of the L1's; each caller waits for it as
// long as its own ctx allows. Store failures, timeouts and undecodable
// bytes are never returned: they count in Stats and the read goes on to
// the loader. The error is the loader's (a *cache.PanicError if it
// panicked), ErrNotFound if there is no loader and neither level holds
// the key, ctx.Err(), or ErrClosed.
//
// An L1 hit costs what a Strata GetOrLoad hit costs. A miss costs a store
// round trip, a decode, and, on a store miss, the load and a store write.
func (c *Cache[K, V]) Get(ctx context.Context, key K) (V, error) {
	defer runtime.KeepAlive(c) // see New: the cleanup must not close c under a call
	return c.c.get(ctx, key, nil)
}

// GetOrLoad is Get with loader in place of Options.Load for this call
// (nil means Options.Load): when neither level holds key, loader fetches
// the value, which is written to the store and the L1 as Get writes a
// loaded value. Concurrent misses on key share one pass through the
// levels, and so the loader of the call that started it; the others'
// loaders are not called. loader runs as Options.Load does (see there for
// its context), its calls count in Stats().Origin, and its errors reach
// the callers as Get returns those of Options.Load. A cache.TTLLoader's
// lifetime is the value's in the store (instead of L2TTL) and in the L1
// (unless the L1's own is shorter).
//
// A SetWithTTL or Set of key made while loader runs, by loader itself
// too, wins over the loaded value: neither level is then written with
// it. A hit costs what Get's costs plus one small allocation for the
// loader's binding.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, loader cache.Loader[K, V]) (V, error) {
	defer runtime.KeepAlive(c)
	return c.c.get(ctx, key, loader)
}

// Set stores value under key in the store (for Options.L2TTL) and in the
// L1 (for its TTL, or L2TTL if that is shorter), then publishes an
// invalidation so that the other instances evict the key from their L1.
//
// If the store call fails, the value is still in this instance's L1 and
// Set returns the error (wrapping ErrStoreUnavailable if the breaker is
// open); nothing is published, so other instances may serve their old
// value until their L1 TTL ends. A failed publish is not an error: it is
// counted in Stats, and the other instances' L1 TTL bounds the staleness.
// Set costs an encode, a store write and a publish, each bounded by
// Options.Timeout.
func (c *Cache[K, V]) Set(ctx context.Context, key K, value V) error {
	defer runtime.KeepAlive(c)
	return c.c.set(ctx, key, value, 0)
}

// SetWithTTL is Set with a lifetime of its own instead of the defaults:
// the store keeps value for ttl instead of Options.L2TTL, and this
// instance's L1 for ttl too, unless L1.TTL is shorter, which then still
// bounds how long an L1 entry can outlive a lost invalidation. ttl 0
// means the defaults, as Set; cache.NoTTL means the store keeps value
// until it is evicted, and the L1 for its L1.TTL; a negative ttl means
// the value has already expired, so the key is deleted, as by Delete.
// With Options.L1Cache, whose TTL the cache cannot see, the L1 entry
// lives ttl.
//
// Other instances that later read the value from the store cannot see
// how long it has left there: their L1 keeps it for their L1.TTL, so
// there it may be served up to L1.TTL after ttl ended. Where that
// matters, keep L1.TTL short. Errors, invalidation and costs are Set's.
func (c *Cache[K, V]) SetWithTTL(ctx context.Context, key K, value V, ttl time.Duration) error {
	defer runtime.KeepAlive(c)
	return c.c.set(ctx, key, value, ttl)
}

// Delete removes key from the store and the L1, then publishes an
// invalidation. Errors are as for Set; the key is gone from this
// instance's L1 either way.
func (c *Cache[K, V]) Delete(ctx context.Context, key K) error {
	defer runtime.KeepAlive(c)
	return c.c.delete(ctx, key)
}

// Stats returns a snapshot of the counters of every level.
func (c *Cache[K, V]) Stats() Stats {
	defer runtime.KeepAlive(c)
	return c.c.stats()
}

// Close ends the invalidation subscription, closes the L1 if New made it
// (releasing every caller waiting on a load), cancels the loads in
// progress, waits for them and for the Sets and Deletes in progress to
// return, and closes the store if New made it. Later calls return
// ErrClosed. Close is idempotent.
func (c *Cache[K, V]) Close() {
	defer runtime.KeepAlive(c)
	c.c.close()
}
