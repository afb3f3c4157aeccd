// Package cache is Strata, an in-process, generic, concurrent cache.
//
// A Cache maps keys to values in memory, bounded by an entry count or a
// total weight, with optional expiry. Keys are hashed with a per-cache
// random seed into shards, each with its own lock, eviction policy and
// timer wheel. Writes are synchronous: once Set returns, every Get sees
// the value. Reads take no lock: they copy the value under the entry's
// sequence counter and report hits to the policy through a lossy buffer.
// Entries leave for a [Reason], which [Options].OnEvict hears exactly
// once, never while a lock is held.
//
// [Cache.GetOrLoad] and [Cache.GetMany] read through to a backend ([Loader],
// [BulkLoader]), once per key however many callers miss together, and can
// refresh ahead of expiry and cache not-found answers (docs/loading.md).
package cache

import (
	"context"
	"iter"
	"runtime"
	"strconv"
	"time"
)

// Cache is a concurrent in-memory cache from K to V. It is safe for use by
// many goroutines. Make one with New; the zero Cache is not usable.
type Cache[K comparable, V any] struct {
	c *core[K, V]
}

// New returns a cache configured by opts, or an error beginning "cache:"
// and naming the offending field when opts are invalid.
func New[K comparable, V any](opts Options[K, V]) (*Cache[K, V], error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	policies, err := opts.customPolicies()
	if err != nil {
		return nil, err
	}
	c := &Cache[K, V]{c: newCore(&opts, policies)}
	// A cache dropped without Close stops its expiry goroutine when it is
	// collected; no removals are reported then. Every method keeps c
	// reachable until it returns (runtime.KeepAlive), so a call whose
	// receiver is the last reference is not closed under.
	runtime.AddCleanup(c, func(core *core[K, V]) { core.close(false) }, c.c)
	return c, nil
}

// Must returns c, or panics with err. It is for package-level caches whose
// options are fixed: cache.Must(cache.New[K, V](opts)).
func Must[K comparable, V any](c *Cache[K, V], err error) *Cache[K, V] {
	if err != nil {
		panic(err)
	}
	return c
}

// Get returns the value stored under key and true, or the zero value and
// false if the key is absent, expired or negatively cached. A hit counts
// towards the key's standing with the eviction policy. It never blocks on
// other readers. With Options.Load and Options.RefreshAfter set, a hit on a
// stale value also starts its background reload (see GetOrLoad).
func (c *Cache[K, V]) Get(key K) (V, bool) {
	v, ok := c.c.get(key)
	runtime.KeepAlive(c) // see New: the cleanup must not close c under a call
	return v, ok
}

// GetWithTTL is Get that also returns how long the value has left after
// this read (NoTTL if it never expires), read with the value from the same
// write. A multilevel store uses it so that whoever reads a value from it
// keeps it no longer than the store does.
func (c *Cache[K, V]) GetWithTTL(key K) (V, time.Duration, bool) {
	v, ttl, ok := c.c.getWithTTL(key)
	runtime.KeepAlive(c)
	return v, ttl, ok
}

// GetOrLoad returns the value stored under key, loading it with loader on
// a miss (nil, or a typed nil such as a nil LoaderFunc, means
// Options.Load; ErrNoLoader if that is nil too).
//
// However many goroutines miss on key together, loader runs once, on a
// goroutine of its own, and they all get its result; each caller stops
// waiting when its own ctx ends. A successful load is stored unless the key
// was written or deleted meanwhile, for the lifetime a TTLLoader gives, else
// the one Options.ExpireAfterWrite computes, else the default TTL. An error, a
// panic (*PanicError) or runtime.Goexit reaches every waiting caller and
// nothing is cached, except ErrNotFound, cached for Options.NegativeTTL if
// set. With Options.RefreshAfter, a hit on an older value returns it and
// reloads it in the background. After Close it returns ErrClosed. Cost: a
// hit about what Get costs; a miss a goroutine and a few small allocations
// besides the load (docs/loading.md).
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, loader Loader[K, V]) (V, error) {
	defer runtime.KeepAlive(c)
	return c.c.getOrLoad(ctx, key, loader)
}

// GetMany returns the values of keys, loading the missing ones with one
// call of loader (nil or a typed nil means Options.LoadMany; ErrNoLoader
// if that is nil too). Keys already being loaded by another call, GetOrLoad or GetMany,
// are not loaded again: GetMany waits for those loads. Its own keys are
// registered as being loaded, so concurrent loads of them wait for it.
//
// The map holds every key that has a value; keys that do not exist
// (left out by the loader, or ErrNotFound) are absent, and negatively
// cached if Options.NegativeTTL is set. The error is the first error among
// the keys, in the order given: loader's error fails every key it was
// asked for, and a caller whose ctx ends gets ctx.Err(). The map holds the
// values found even when the error is not nil. Stale hits are reloaded in
// the background by a second call of loader. Values are stored for the
// lifetimes a TTLBulkLoader gives, as GetOrLoad stores its value.
func (c *Cache[K, V]) GetMany(ctx context.Context, keys []K, loader BulkLoader[K, V]) (map[K]V, error) {
	defer runtime.KeepAlive(c)
	return c.c.getMany(ctx, keys, loader)
}

// Peek is Get without side effects: it neither counts in Stats nor
// informs the eviction policy, nor extends an expire-after-access
// lifetime, nor starts a refresh. Use it for diagnostics.
func (c *Cache[K, V]) Peek(key K) (V, bool) {
	v, ok := c.c.peek(key)
	runtime.KeepAlive(c)
	return v, ok
}

// Set stores value under key with the cache's default lifetime
// (Options.ExpireAfterWrite, else Options.TTL), replacing any
// previous value, and evicts as needed to stay within bounds before it
// returns.
func (c *Cache[K, V]) Set(key K, value V) {
	defer runtime.KeepAlive(c) // OnEvict may run, and take long
	c.c.set(key, value, 0, false)
}

// SetWithTTL is Set with the entry's own lifetime, which wins over
// Options.ExpireAfterWrite: ttl 0 uses the cache's default, NoTTL never expires, and a negative ttl stores an entry that is
// already expired (it is never returned and is reported as expired).
func (c *Cache[K, V]) SetWithTTL(key K, value V, ttl time.Duration) {
	defer runtime.KeepAlive(c)
	c.c.set(key, value, ttl, false)
}

// GetOrSet returns the live value stored under key and true; if there is
// none, it stores value and returns it with false. The check and the store
// are one atomic step.
func (c *Cache[K, V]) GetOrSet(key K, value V) (actual V, loaded bool) {
	defer runtime.KeepAlive(c)
	v, found := c.c.set(key, value, 0, true)
	if !found {
		return value, false
	}
	return v, true
}

// Action tells Compute what to do with the key.
type Action uint8

// The actions a compute function may return.
const (
	ActionKeep   Action = iota // leave the key as it was
	ActionSet                  // store the returned value (with the default TTL)
	ActionDelete               // delete the key
)

func (a Action) String() string {
	switch a {
	case ActionKeep:
		return "ActionKeep"
	case ActionSet:
		return "ActionSet"
	case ActionDelete:
		return "ActionDelete"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Compute atomically updates key: fn receives the current value (found is
// false if the key is absent or expired) and returns a new value and what
// to do with it. Compute returns the value stored afterwards and whether
// there is one.
//
// fn runs with no lock held, so it may be slow or use the cache. If another
// write changes the key while fn runs, fn is called again with the new
// value, so it should have no side effects beyond its result. fn must not
// write key itself (with Set, Delete, ...): that write would change the
// key during every call, so Compute panics, saying so, after 1,000 calls
// that each saw the key change.
func (c *Cache[K, V]) Compute(key K, fn func(old V, found bool) (V, Action)) (V, bool) {
	defer runtime.KeepAlive(c)
	return c.c.compute(key, fn)
}

// Delete removes key, or its negative entry, and reports whether a live
// value was there. A load of key in flight will not store its result.
func (c *Cache[K, V]) Delete(key K) bool {
	defer runtime.KeepAlive(c)
	return c.c.delete(key)
}

// Len returns the number of stored entries, counting negative entries and
// expired entries that have not been removed yet. It locks each shard
// briefly.
func (c *Cache[K, V]) Len() int {
	n := c.c.len()
	runtime.KeepAlive(c)
	return n
}

// Clear removes every entry, reporting each to OnEvict (ReasonCleared). It
// clears one shard at a time: writes running concurrently may survive it.
func (c *Cache[K, V]) Clear() {
	defer runtime.KeepAlive(c)
	c.c.clear()
}

// All iterates over the live entries, skipping negative entries. Each
// shard is copied under its lock and yielded with no lock held, so
// the loop body may use the cache. Entries written or removed during
// iteration may or may not be seen; no entry is seen twice. Memory: one
// shard's worth of pairs.
func (c *Cache[K, V]) All() iter.Seq2[K, V] { return keepAlive2(c, c.c.all()) }

// Keys iterates over the keys of the live entries, like All.
func (c *Cache[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		defer runtime.KeepAlive(c)
		c.c.keys()(yield)
	}
}

// Flush applies every pending read and write to the eviction policy,
// removes what has expired and evicts down to the bound, in every shard,
// before it returns; afterwards Len() <= MaxEntries and Stats().Weight <=
// MaxWeight hold exactly until the next write. Writes leave their policy
// bookkeeping in a per-shard buffer, applied by whichever writer next
// finds the shard's policy lock free, so under concurrent writes a shard
// may briefly hold more than its share of the bound (Options.MaxEntries
// says how much). Flush waits for maintenance running on other goroutines;
// it costs a lock of every shard and the work it finds. Removals are
// reported to OnEvict before it returns.
func (c *Cache[K, V]) Flush() {
	defer runtime.KeepAlive(c)
	c.c.flush()
}

// Shards returns the number of shards the cache runs: Options.Shards, or
// the automatic choice (see Options.Shards).
func (c *Cache[K, V]) Shards() int { return len(c.c.shards) }

// Stats returns a snapshot of the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	st := c.c.stats()
	runtime.KeepAlive(c)
	return st
}

// Close stops the cache's background goroutine and removes every entry,
// reporting each to OnEvict with ReasonCleared. It cancels the context of
// every load in flight and releases their waiters with ErrClosed, without
// waiting for the loaders to return. Later reads miss, later loading reads
// return ErrClosed and later writes are ignored.
//
// Close may be called any number of times, from any goroutine, OnEvict
// included. Only the first call reports the removals; the others return
// once the cache is closed, without waiting for those reports. If OnEvict
// is running on the expiry goroutine, Close does not wait for it to return
// (the hook may be what called Close); that goroutine exits right after.
func (c *Cache[K, V]) Close() {
	defer runtime.KeepAlive(c)
	c.c.close(true)
}

// keepAlive2 is seq, keeping c reachable while the loop runs: the
// iterator refers to c's core only, and the cleanup New registers would
// otherwise close the cache under a loop whose caller dropped c.
func keepAlive2[K comparable, V any](c *Cache[K, V], seq iter.Seq2[K, V]) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		defer runtime.KeepAlive(c)
		seq(yield)
	}
}
