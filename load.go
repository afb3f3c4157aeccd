package cache

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache/internal/isnil"
	"github.com/stratacache/cache/shard"
)

// getOrLoad is GetOrLoad. A hit costs what Get costs, plus a clock read when
// refresh-ahead is on. A miss registers in the shard's flights under its
// exclusive lock: the first miss on a key starts the load on a goroutine of
// its own, and every miss waits for the flight, or for its ctx or Close.
func (c *core[K, V]) getOrLoad(ctx context.Context, key K, ld Loader[K, V]) (V, error) {
	var zero V
	if ctx == nil {
		return zero, errNilContext
	}
	h := c.hasher.Hash(key)
	s := c.shardFor(h)
	v, found, written := c.read(s, key, h)
	switch found {
	case shard.FoundValue:
		c.maybeRefresh(ctx, key, h, written, ld)
		return v, nil
	case shard.FoundNegative:
		return zero, ErrNotFound
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if ld = c.usable(ld); ld == nil { // nil or typed nil: only a miss needs a loader
		return zero, ErrNoLoader
	}
	v, found, f, leader := s.Begin(key, h)
	switch {
	case found == shard.FoundValue:
		return v, nil // a load finished, or a write landed, since Read
	case found == shard.FoundNegative:
		return zero, ErrNotFound
	case f == nil:
		return zero, ErrClosed
	}
	if leader {
		c.startLoad(ctx, key, h, f, ld, false)
	}
	return c.wait(ctx, f)
}

// usable returns ld, or Options.Load in place of nil or a typed nil (see
// Loader), or nil if that is nil too.
func (c *core[K, V]) usable(ld Loader[K, V]) Loader[K, V] {
	if isnil.IsNil(ld) {
		return c.loader
	}
	return ld
}

// wait returns the result of f, or gives up when ctx ends or the cache
// closes; the load goes on for the others either way.
func (c *core[K, V]) wait(ctx context.Context, f *shard.Flight[V]) (V, error) {
	select {
	case <-f.Done():
		return f.Result() // a finished flight wins over a dead ctx
	default:
	}
	var zero V
	select {
	case <-f.Done():
		return f.Result()
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-c.done:
		return zero, ErrClosed
	}
}

// maybeRefresh starts a background reload of key if its value, written at
// written, is older than Options.RefreshAfter and no load of key is in
// flight already.
func (c *core[K, V]) maybeRefresh(ctx context.Context, key K, h uint64, written int64, ld Loader[K, V]) {
	if c.refreshAfter == 0 || c.now()-written < c.refreshAfter {
		return
	}
	if ld = c.usable(ld); ld == nil {
		return
	}
	if f := c.shardFor(h).BeginRefresh(key, h, written); f != nil {
		c.startLoad(ctx, key, h, f, ld, true)
	}
}

// startLoad runs ld for key on a new goroutine and ends flight f with its
// result. The goroutine lives as long as the loader runs.
func (c *core[K, V]) startLoad(parent context.Context, key K, h uint64, f *shard.Flight[V], ld Loader[K, V], refresh bool) {
	ctx, cancel := c.loadContext(parent)
	go func() {
		defer cancel()
		var (
			v    V
			err  error
			w    uint32
			life int64
			end  func(error)
			took int64
		)
		guard(func() {
			// The tracer and the clock are user code too: guarded, so
			// that a panic in them still ends the flight.
			ctx, end = c.startTrace(ctx, LoadInfo{Keys: 1, Refresh: refresh})
			start := c.now()
			defer func() { took = c.now() - start }()
			var ttl time.Duration
			if tl, ok := ld.(TTLLoader[K, V]); ok {
				v, ttl, err = tl.LoadTTL(ctx, key)
			} else {
				v, err = ld.Load(ctx, key)
			}
			if err == nil { // user code too: guarded
				w, life = c.weigh(key, v), c.loadedLifetime(key, v, ttl)
			}
		}, func(abort error) {
			c.finishLoad(key, h, f, v, w, life, err, abort, refresh, took, end)
		})
	}()
}

// loadedLifetime is the lifetime of a loaded value: the loader's own ttl,
// not jittered, or the cache's (ExpireAfterWrite, TTL) when ttl is 0.
func (c *core[K, V]) loadedLifetime(key K, v V, ttl time.Duration) int64 {
	switch {
	case ttl == 0:
		return c.lifetimeOf(key, v, 0)
	case ttl == NoTTL:
		return 0
	}
	return int64(ttl)
}

// finishLoad stores a load's result, with lifetime life, as its outcome
// says, counts it, ends its trace (end may be nil), then releases its
// waiters, then reports removals to OnEvict.
func (c *core[K, V]) finishLoad(key K, h uint64, f *shard.Flight[V], v V, w uint32, life int64, err, abort error, refresh bool, took int64, end func(error)) {
	if abort != nil {
		err = abort
	}
	var out shard.Outcome
	if err == nil {
		out = shard.OutcomeValue
	} else {
		var zero V
		v = zero
		out, life, w = c.failedOutcome(err, abort != nil)
	}
	removed := c.shardFor(h).Finish(key, h, f, out, v, w, life)
	c.loads.count(err, abort, refresh, took) // counted before anyone returns
	if end != nil {
		end(err)
	}
	f.Publish(v, err)
	c.afterWrite(life, &removed)
}

// failedOutcome says what a load that returned err leaves in the cache: a
// negative entry (its lifetime and weight) if the key does not exist and
// negative caching is on, no entry at all if it does not exist and negative
// caching is off, and nothing changed otherwise.
func (c *core[K, V]) failedOutcome(err error, aborted bool) (out shard.Outcome, life int64, weight uint32) {
	switch {
	case aborted || !errors.Is(err, ErrNotFound):
		return shard.OutcomeDiscard, 0, 0
	case c.negative:
		return shard.OutcomeNegative, c.jittered(c.negativeTTL), 1
	}
	return shard.OutcomeRemove, 0, 0
}

// loadContext returns the context a load runs on: the values of parent,
// whose cancellation it ignores, cancelled by Close (with cause ErrClosed)
// and after Options.LoadTimeout. The cancel function releases it.
func (c *core[K, V]) loadContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	stop := context.AfterFunc(c.loadsCtx, func() { cancel(ErrClosed) })
	if c.loadTimeout <= 0 {
		return ctx, func() { stop(); cancel(nil) }
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, c.loadTimeout)
	return ctx, func() { stop(); cancelTimeout(); cancel(nil) }
}

// guard runs fn, then done, whether fn returns, panics or calls
// runtime.Goexit. A panic is recovered and handed to done as a
// *PanicError; a Goexit as ErrLoaderExited, and the goroutine then
// finishes exiting once done returns. done gets nil when fn returned.
func guard(fn func(), done func(abort error)) {
	returned := false
	defer func() {
		var abort error
		if !returned {
			if r := recover(); r != nil {
				abort = &PanicError{Value: r, Stack: debug.Stack()}
			} else {
				abort = ErrLoaderExited
			}
		}
		done(abort)
	}()
	fn()
	returned = true
}

// loadCounters are the cache-wide loading statistics. Loads are rare next
// to reads, so plain shared atomics do.
type loadCounters struct {
	succeeded, failed, panicked atomic.Uint64
	refreshed, refreshFailed    atomic.Uint64
	nanos                       atomic.Int64
	buckets                     [NumLoadBuckets]atomic.Uint64
}

// count records one loader call that ended with err (abort if it panicked
// or exited) after took nanoseconds.
func (lc *loadCounters) count(err, abort error, refresh bool, took int64) {
	lc.nanos.Add(took)
	lc.buckets[loadBucket(took)].Add(1)
	// A panic value may wrap ErrNotFound; it is a failure all the same.
	failed := abort != nil || (err != nil && !errors.Is(err, ErrNotFound))
	switch {
	case abort != nil:
		lc.panicked.Add(1)
	case failed:
		lc.failed.Add(1)
	default:
		lc.succeeded.Add(1)
	}
	if refresh {
		if failed {
			lc.refreshFailed.Add(1)
		} else {
			lc.refreshed.Add(1)
		}
	}
}

func (lc *loadCounters) addTo(st *Stats) {
	st.LoadsSucceeded = lc.succeeded.Load()
	st.LoadsFailed = lc.failed.Load()
	st.LoadsPanicked = lc.panicked.Load()
	st.RefreshesSucceeded = lc.refreshed.Load()
	st.RefreshesFailed = lc.refreshFailed.Load()
	st.LoadTime = time.Duration(lc.nanos.Load())
	for i := range lc.buckets {
		st.LoadBuckets[i] = lc.buckets[i].Load()
	}
}
