package multilevel

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
)

// core is the implementation behind Cache. The bus's callbacks refer to
// it, never to the Cache wrapper, so a wrapper the program drops can be
// collected and its cleanup can end the subscription.
type core[K comparable, V any] struct {
	l1     *cache.Cache[K, V]
	ownL1  bool
	loader cache.Loader[K, V] // loadThrough with Options.Load, made once
	l1TTL  time.Duration      // the L1's default lifetime; 0 if unknown (L1Cache)
	// l1Expiry is L1.ExpireAfterWrite, which decides the L1's lifetime of
	// each value in l1TTL's place; nil if unset or unknown.
	l1Expiry func(K, V) time.Duration

	store    Store
	ownStore *MemoryStore // the private store New made, if any
	bus      Bus          // nil: no invalidation
	stopSub  func()

	keys      *keyCodec[K]
	values    valueCodec[V]
	load      loadFunc[K, V] // Options.Load, or nil
	namespace string
	id        string // this instance's Sender id
	l2TTL     time.Duration
	timeout   time.Duration
	br        *breaker // nil when disabled
	guard     *writeGuard

	// Options.Lease: leaser is nil when it is off.
	leaser               Leaser
	leaseWait, leasePoll time.Duration
	leaseSeq             atomic.Uint64
	fills                *fillSignals

	n counters

	// Close handshake: operations that may touch the store register in
	// running under mu's read lock unless closed is set, so Close can
	// wait for all of them.
	mu          sync.RWMutex
	closing     bool
	closed      atomic.Bool
	running     sync.WaitGroup
	closeCtx    context.Context // cancelled by Close
	cancelClose context.CancelFunc
}

func newCore[K comparable, V any](o *Options[K, V]) (_ *core[K, V], err error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	values, err := newValueCodec(o)
	if err != nil {
		return nil, err
	}
	c := &core[K, V]{
		values:    values,
		namespace: o.Namespace,
		id:        rand.Text(),
		l2TTL:     o.storeTTL(),
		timeout:   o.Timeout,
		store:     o.Store,
		bus:       o.Bus,
		guard:     newWriteGuard(),
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.store == nil {
		// A private store: no other instance can see it, so there is
		// nobody to invalidate.
		ms, err := NewMemoryStore(MemoryStoreOptions{Clock: o.L1.Clock})
		if err != nil {
			return nil, err
		}
		c.store, c.ownStore, c.namespace = ms, ms, localNamespace
		c.bus = nil
	} else if c.bus == nil {
		c.bus, _ = c.store.(Bus)
	}
	if o.NoInvalidation {
		c.bus = nil
	}
	if o.Lease.Enabled {
		c.leaser = c.store.(Leaser) // validated, or our own MemoryStore
		c.leaseWait, c.leasePoll = o.leaseTimes()
		c.fills = &fillSignals{m: make(map[string]*fillSignal)}
	}
	defer func() {
		if err != nil && c.ownStore != nil {
			c.ownStore.Close()
		}
	}()
	if c.keys, err = newKeyCodec(o, c.namespace, c.bus != nil); err != nil {
		return nil, err
	}
	if !o.Breaker.Disabled {
		c.br = newBreaker(o.Breaker, clockNow(o.L1.Clock))
	}

	if c.l1 = o.L1Cache; c.l1 == nil {
		if c.l1, err = cache.New(o.l1Options()); err != nil {
			return nil, fmt.Errorf("multilevel: Options.L1: %w", err)
		}
		c.ownL1 = true
		c.l1TTL = o.l1Options().TTL
		c.l1Expiry = o.L1.ExpireAfterWrite
	}
	if o.Load != nil {
		c.load = timedLoad(cache.LoaderFunc[K, V](o.Load))
	}
	c.loader = cache.TTLLoaderFunc[K, V](func(ctx context.Context, key K) (V, time.Duration, error) {
		return c.loadThrough(ctx, key, c.load)
	})
	c.closeCtx, c.cancelClose = context.WithCancel(context.Background())

	if c.bus != nil {
		c.stopSub, err = c.bus.Subscribe(c.namespace, Subscriber{Message: c.onMessage, Up: c.onUp, Down: c.onDown})
		if err != nil {
			c.cancelClose()
			if c.ownL1 {
				c.l1.Close()
			}
			return nil, fmt.Errorf("multilevel: subscribe to invalidations of %q: %w", c.namespace, err)
		}
	}
	return c, nil
}

func clockNow(clk cache.Clock) func() time.Time {
	if clk == nil {
		return time.Now
	}
	return clk.Now
}

// enter registers an operation that Close must wait for, or reports false
// once Close has begun. A true return must be paired with c.running.Done.
func (c *core[K, V]) enter() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closing {
		return false
	}
	c.running.Add(1)
	return true
}

func (c *core[K, V]) close() {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.closed.Store(true)
	c.mu.Unlock()

	if c.stopSub != nil {
		c.stopSub()
	}
	c.cancelClose()
	if c.ownL1 {
		c.l1.Close() // releases every caller waiting on a load
	}
	c.running.Wait()
	if c.ownStore != nil {
		c.ownStore.Close()
	}
}

func (c *core[K, V]) stats() Stats {
	var st Stats
	st.L1 = c.l1.Stats()
	st.L2, st.Origin, st.Invalidation = c.n.snapshot()
	st.Breaker = breakerState(c.br)
	st.Lease = c.n.leases()
	if c.br != nil {
		st.L2.BreakerOpened = c.br.Opened()
	}
	return st
}
