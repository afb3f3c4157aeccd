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
)

// loadGroup runs at most one load per key at a time and shares its
// result with every caller that missed meanwhile.
type loadGroup[K comparable, V any] struct {
	mu       sync.Mutex
	inFlight map[string]*load[V] // by encoded key
	active   atomic.Int32        // len(inFlight), read without the lock by writes
	wg       sync.WaitGroup
	ctx      context.Context // cancelled by Close
	cancel   context.CancelCauseFunc

	succeeded, failed, panicked atomic.Uint64
	took                        atomic.Int64 // nanoseconds
}

type load[V any] struct {
	done  chan struct{}
	val   V
	err   error
	stale atomic.Bool // a write to the key came while it ran
}

func (g *loadGroup[K, V]) init() {
	g.inFlight = map[string]*load[V]{}
	g.ctx, g.cancel = context.WithCancelCause(context.Background())
}

// invalidate marks the load of key in progress, if any, as overtaken by
// a write: its result is then returned to its callers but not stored.
func (g *loadGroup[K, V]) invalidate(key string) {
	if g.active.Load() == 0 {
		return
	}
	g.mu.Lock()
	if l := g.inFlight[key]; l != nil {
		l.stale.Store(true)
	}
	g.mu.Unlock()
}

func (g *loadGroup[K, V]) close() {
	g.mu.Lock()
	g.cancel(cache.ErrClosed) // under mu: no load starts after this
	g.mu.Unlock()
	g.wg.Wait()
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
// Options.LoadTimeout and cancelled by Close. Each caller waits as long as
// its own ctx allows. The loaded value is stored with the default TTL, or,
// from a cache.TTLLoader, for the lifetime it gives: 0 the default TTL,
// cache.NoTTL none, and negative returns the value without storing it. A
// loader's error is returned and nothing is stored (an error wrapping
// cache.ErrNotFound says the key does not exist); a panic comes back as a
// *cache.PanicError. A Set or Delete of key while its load runs wins: the
// loaded value is returned but not stored. A hit costs a Get.
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
		// Closed since the check above: start nothing Close cannot wait for.
		g.mu.Unlock()
		return zero, cache.ErrClosed
	}
	l := g.inFlight[k]
	if l == nil {
		l = &load[V]{done: make(chan struct{})}
		g.inFlight[k] = l
		g.active.Add(1)
		g.wg.Add(1)
		go c.runLoad(context.WithoutCancel(ctx), key, k, loader, l)
	}
	g.mu.Unlock()
	select {
	case <-l.done:
		return l.val, l.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (c *Cache[K, V]) now() time.Time {
	if c.clock != nil {
		return c.clock.Now()
	}
	return time.Now()
}

// runLoad calls loader for key, stores its value unless a write overtook
// it, and releases the callers waiting on l.
func (c *Cache[K, V]) runLoad(ctx context.Context, key K, k string, loader cache.Loader[K, V], l *load[V]) {
	g := &c.loads
	defer g.wg.Done()
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
	var ttl time.Duration // the loader's lifetime for the value, as SetWithTTL's
	defer func() {
		r := recover()
		switch {
		case r != nil:
			l.err = &cache.PanicError{Value: r, Stack: debug.Stack()}
			g.panicked.Add(1)
		case !returned:
			l.err = cache.ErrLoaderExited
			g.panicked.Add(1)
		case l.err == nil || errors.Is(l.err, cache.ErrNotFound):
			g.succeeded.Add(1)
		default:
			g.failed.Add(1)
		}
		g.took.Add(int64(c.now().Sub(t0)))
		if l.err == nil && !l.stale.Load() && ttl >= 0 { // cache.NoTTL is positive
			// A value that cannot be stored (it does not encode, or is
			// too large) is still returned to the callers.
			if b, err := c.codec.Marshal(l.val); err == nil {
				c.s.SetWithTTL(k, b, ttl)
			}
		}
		g.mu.Lock()
		delete(g.inFlight, k)
		g.active.Add(-1)
		g.mu.Unlock()
		close(l.done)
	}()
	if tl, ok := loader.(cache.TTLLoader[K, V]); ok {
		l.val, ttl, l.err = tl.LoadTTL(ctx, key)
	} else {
		l.val, l.err = loader.Load(ctx, key)
	}
	returned = true
}
