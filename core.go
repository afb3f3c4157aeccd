package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/hashing"
	"github.com/stratacache/cache/shard"
)

// core is the implementation behind Cache. Background goroutines refer to
// it, never to the Cache wrapper, so a wrapper the program drops can be
// collected and its cleanup can stop them.
type core[K comparable, V any] struct {
	shards  []*shard.Shard[K, V]
	shift   uint // hash >> shift selects the shard
	hasher  hashing.Hasher[K]
	ttl     int64
	weigher func(K, V) uint32
	onEvict func(K, V, Reason)
	now     func() int64
	wall    func() time.Time // Options.Clock.Now or time.Now, for snapshots
	jitter  float64

	// Options.ExpireAfterWrite and ExpireAfterRead, or nil.
	expireAfterWrite func(K, V) time.Duration
	expireAfterRead  func(K, V, time.Duration) time.Duration
	// plainGet: Get is a shard read and nothing more (no refresh-ahead,
	// no ExpireAfterRead), decided once so a Get tests one flag.
	plainGet bool

	// Loading (load.go, bulk.go).
	loader       Loader[K, V]     // Options.Load, or nil
	bulkLoader   BulkLoader[K, V] // Options.LoadMany, or nil
	loadTimeout  time.Duration
	refreshAfter int64 // 0: no refresh-ahead
	negative     bool  // cache not-found answers
	negativeTTL  int64 // their lifetime, as for a shard (0: forever)
	loadsCtx     context.Context
	stopLoads    context.CancelFunc // cancels loadsCtx, and so every load
	loads        loadCounters
	tracer       Tracer // Options.Tracer, or nil

	// The bound, in weight units (entries weigh 1), 0 if unbounded;
	// resizeMu serialises its changes (resize.go).
	resizeMu sync.Mutex
	bound    int64

	closed   atomic.Bool   // writes are ignored, reads miss
	closing  atomic.Bool   // the first Close has begun
	shut     chan struct{} // closed once every shard is closed
	janitor  atomic.Bool   // the expiry goroutine was started
	inHook   atomic.Bool   // the expiry goroutine is running OnEvict hooks
	done     chan struct{} // closed by Close: stops the expiry goroutine and waiters
	finished chan struct{} // closed when the expiry goroutine exits
}

// newCore builds the cache o describes; policies, when not nil, are the
// shards' policies of the user's making (see Options.customPolicies).
func newCore[K comparable, V any](o *Options[K, V], policies []eviction.Policy[K, V]) *core[K, V] {
	n := o.shardCount()
	c := &core[K, V]{
		shards:   make([]*shard.Shard[K, V], n),
		hasher:   hashing.New[K](),
		ttl:      int64(o.TTL),
		weigher:  o.Weigher,
		onEvict:  o.OnEvict,
		now:      clockFunc(o.Clock),
		wall:     time.Now,
		jitter:   o.TTLJitter,
		done:     make(chan struct{}),
		finished: make(chan struct{}),
		shut:     make(chan struct{}),

		expireAfterWrite: o.ExpireAfterWrite,
		expireAfterRead:  o.ExpireAfterRead,
		plainGet:         (o.RefreshAfter == 0 || o.Load == nil) && o.ExpireAfterRead == nil,

		loadTimeout:  o.LoadTimeout,
		refreshAfter: int64(o.RefreshAfter),
		negative:     o.NegativeTTL > 0,
		tracer:       o.Tracer,
	}
	if o.Clock != nil {
		c.wall = o.Clock.Now
	}
	if o.Load != nil {
		c.loader = LoaderFunc[K, V](o.Load)
	}
	if o.LoadMany != nil {
		c.bulkLoader = BulkLoaderFunc[K, V](o.LoadMany)
	}
	if o.NegativeTTL != NoTTL {
		c.negativeTTL = int64(o.NegativeTTL)
	}
	c.loadsCtx, c.stopLoads = context.WithCancel(context.Background())
	for bits := 0; 1<<bits < n; bits++ {
		c.shift = uint(63 - bits)
	}
	if n == 1 {
		c.shift = 64 // hash >> 64 is 0 in Go
	}
	c.bound = o.capacity()
	// Contending readers, seen on one shard, are spread on all.
	readers := new(shard.Readers)
	// The shards' policies learn the workload's shape together: one
	// shard sees too little of it to tune its own (see eviction.Group).
	var group *eviction.Group
	if n > 1 {
		group = eviction.NewGroup()
	}
	for i := range c.shards {
		var p eviction.Policy[K, V]
		if policies != nil {
			p = policies[i]
		}
		c.shards[i] = shard.NewWithPolicy[K, V](shard.Config{
			Capacity:          shareOf(c.bound, n, i),
			Policy:            o.Policy,
			Group:             group,
			ExpireAfterAccess: o.ExpireAfterAccess,
			ReadExpiry:        o.ExpireAfterRead != nil,
			KeepReplaced:      o.OnEvict != nil,
			Weighted:          o.Weigher != nil,
			TrackWrites:       o.RefreshAfter > 0,
			Clock:             c.now,
			Readers:           readers,
		}, p)
	}
	return c
}

// shareOf is shard i's part of a bound of total split over n shards. The
// split is exact: the first total%n shards take one more unit, so the
// shard bounds add up to the cache's bound. 0 (unbounded) stays 0.
func shareOf(total int64, n, i int) int64 {
	if total <= 0 {
		return 0
	}
	share := total / int64(n)
	if int64(i) < total%int64(n) {
		share++
	}
	return share
}

// clockFunc returns nanoseconds since the cache was made, on the given
// clock or the monotonic system clock. Starting from 1 keeps every reading
// positive.
func clockFunc(clk Clock) func() int64 {
	if clk == nil {
		epoch := time.Now()
		return func() int64 { return int64(time.Since(epoch)) + 1 }
	}
	epoch := clk.Now()
	return func() int64 { return int64(clk.Now().Sub(epoch)) + 1 }
}

func (c *core[K, V]) shardFor(hash uint64) *shard.Shard[K, V] {
	return c.shards[hash>>c.shift]
}
