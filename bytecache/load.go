package bytecache

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/internal/isnil"
	"github.com/stratacache/cache/internal/slab"
)

// loadGroup runs at most one load per key at a time and shares its
// result with every caller that missed meanwhile. A write of the key
// overtakes its load: the load leaves inFlight, so later misses load
// again, and stores nothing. Both the overtaking and a load's store of its
// value happen under mu, so no write lands between a load's test and its
// store.
type loadGroup[K comparable, V any] struct {
	mu       sync.Mutex
	inFlight map[string]*load[V] // by encoded key
	active   atomic.Int32        // len(inFlight), read without the lock by writes
	ctx      context.Context     // cancelled by Close; its Done releases waiters
	cancel   context.CancelCauseFunc

	succeeded, failed, panicked atomic.Uint64
	took                        atomic.Int64 // nanoseconds
}

type load[V any] struct {
	done      chan struct{}
	val       V
	err       error
	overtaken bool // under loadGroup.mu: a write of the key, or Clear, came while it ran
}

func (g *loadGroup[K, V]) init() {
	g.inFlight = map[string]*load[V]{}
	g.ctx, g.cancel = context.WithCancelCause(context.Background())
}

// invalidate is called by each write of key before it changes the store.
// The load of key in flight, if any, is overtaken: it returns its result
// to its callers but stores nothing, and leaves inFlight so that later
// misses load again. A write that finds no load registered began before
// any load it may race, and that load stores only into an absent key.
func (g *loadGroup[K, V]) invalidate(key string) {
	if g.active.Load() == 0 {
		return
	}
	g.mu.Lock()
	if l := g.inFlight[key]; l != nil {
		l.overtaken = true
		g.forgetLocked(key)
	}
	g.mu.Unlock()
}

// invalidateAll is invalidate for every key, for Clear.
func (g *loadGroup[K, V]) invalidateAll() {
	g.mu.Lock()
	for k, l := range g.inFlight {
		l.overtaken = true
		g.forgetLocked(k)
	}
	g.mu.Unlock()
}

func (g *loadGroup[K, V]) forgetLocked(key string) {
	delete(g.inFlight, key)
	g.active.Add(-1)
}

// close cancels the loads in flight and releases their waiters with
// cache.ErrClosed. It does not wait for the loaders: one that ignores its
// context would hold Close for as long as it runs (or for ever, if it is
// what called Close). A load that returns later stores nothing, as the
// store is closed by then.
func (g *loadGroup[K, V]) close() {
	g.mu.Lock()
	g.cancel(cache.ErrClosed) // under mu: no load starts after this
	g.mu.Unlock()
}

func (g *loadGroup[K, V]) addStats(st *cache.Stats) {
	st.LoadsSucceeded = g.succeeded.Load()
	st.LoadsFailed = g.failed.Load()
	st.LoadsPanicked = g.panicked.Load()
	st.LoadTime = time.Duration(g.took.Load())
}

// GetOrLoad returns the value of key, loading it with loader (nil, or a
// typed nil such as a nil cache.LoaderFunc, means Options.Load) when the
// cache misses, and storing what it loads. However many goroutines miss on
// key at once, one load runs; it runs on a goroutine of the cache's, with
// the first caller's context values but not its cancellation, bounded by
// Options.LoadTimeout and cancelled by Close, which releases the callers
// with cache.ErrClosed. Each caller waits as long as its own ctx allows.
// The loaded value is stored with the default TTL, or, from a
// cache.TTLLoader, for the lifetime it gives: 0 the default TTL,
// cache.NoTTL none, and negative returns the value without storing it. A
// loader's error is returned and nothing is stored (an error wrapping
// cache.ErrNotFound says the key does not exist); a panic, the loader's or
// the codec's encoding its value, comes back as a *cache.PanicError. A
// Set, Delete or Clear while the load runs wins: the loaded value is
// returned but not stored, and a later miss loads again. A hit costs a
// Get.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, loader cache.Loader[K, V]) (V, error) {
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	var zero V
	if isnil.IsNil(loader) { // a typed nil too: reflection, so off the hit path
		loader = c.load
	}
	switch {
	case loader == nil:
		return zero, cache.ErrNoLoader
	case c.s.closed.Load():
		return zero, cache.ErrClosed
	}
	k := c.enc(key)
	g := &c.loads
	g.mu.Lock()
	if g.ctx.Err() != nil {
		// Closed since the check above: start nothing after Close.
		g.mu.Unlock()
		return zero, cache.ErrClosed
	}
	l := g.inFlight[k]
	if l == nil && c.s.contains(k) {
		// A second look: a load of key finished since the miss above,
		// storing its value before it was forgotten.
		g.mu.Unlock()
		if v, ok := c.Get(key); ok {
			return v, nil
		}
		return c.GetOrLoad(ctx, key, loader) // removed again meanwhile
	}
	if l == nil {
		l = &load[V]{done: make(chan struct{})}
		g.inFlight[k] = l
		g.active.Add(1)
		go c.runLoad(context.WithoutCancel(ctx), key, k, loader, l)
	}
	g.mu.Unlock()
	select {
	case <-l.done:
		return l.val, l.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-g.ctx.Done():
		select {
		case <-l.done: // finished as Close came: its result stands
			return l.val, l.err
		default:
			return zero, cache.ErrClosed
		}
	}
}

func (c *Cache[K, V]) now() time.Time {
	if c.clock != nil {
		return c.clock.Now()
	}
	return time.Now()
}

// runLoad calls loader for key, stores its value unless a write overtook
// it, and releases the callers waiting on l. A loader or codec that panics
// or calls runtime.Goexit still releases them, with an error.
func (c *Cache[K, V]) runLoad(ctx context.Context, key K, k string, loader cache.Loader[K, V], l *load[V]) {
	g := &c.loads
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(g.ctx, func() { cancel(context.Cause(g.ctx)) })
	defer stop()
	if c.timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, c.timeout)
		defer cancelTimeout()
	}
	t0 := c.now()
	returned := false
	var (
		ttl     time.Duration // the loader's lifetime for the value, as SetWithTTL's
		encoded []byte
		store   bool
	)
	defer func() {
		r := recover()
		switch {
		case r != nil:
			l.val, l.err = *new(V), &cache.PanicError{Value: r, Stack: debug.Stack()}
			g.panicked.Add(1)
		case !returned:
			l.val, l.err = *new(V), cache.ErrLoaderExited
			g.panicked.Add(1)
		case l.err == nil || errors.Is(l.err, cache.ErrNotFound):
			g.succeeded.Add(1)
		default:
			g.failed.Add(1)
		}
		g.took.Add(int64(c.now().Sub(t0)))
		var rm *slab.Removals
		g.mu.Lock()
		if !l.overtaken {
			// Not once Close has begun (it cancels g.ctx under mu before
			// it clears the store): a store then would outlive the clear.
			if store && g.ctx.Err() == nil {
				// Only if absent: a write that started before this load
				// registered, and so did not overtake it, may have landed.
				_, rm = c.s.setIfAbsent(k, encoded, ttl)
			}
			// After the store: a write that then sees no load in flight,
			// and skips g.mu, lands after it.
			g.forgetLocked(k)
		}
		g.mu.Unlock()
		close(l.done)
		c.s.report(rm) // OnEvict may write: not under g.mu
	}()
	if tl, ok := loader.(cache.TTLLoader[K, V]); ok {
		l.val, ttl, l.err = tl.LoadTTL(ctx, key)
	} else {
		l.val, l.err = loader.Load(ctx, key)
	}
	if l.err == nil && ttl >= 0 { // cache.NoTTL is positive
		// Encoded here, not under g.mu: a codec is user code. A value that
		// does not encode is still returned to the callers.
		var err error
		encoded, err = c.encode(l.val)
		store = err == nil
	}
	returned = true
}
