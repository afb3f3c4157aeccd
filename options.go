package cache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/isnil"
)

// Options configures a cache. The zero value is a valid configuration: an
// unbounded cache with no expiry, 64 shards and the default policy. New
// reads the struct and never writes to it.
type Options[K comparable, V any] struct {
	// MaxEntries bounds the number of entries. 0 means no bound on the
	// count. Do not combine with MaxWeight. Under concurrent writes a
	// shard may briefly hold up to a sixteenth of its share more, at most
	// 64 entries (shards whose share is below 16 never do), until pending
	// bookkeeping is applied; Cache.Flush makes the bound exact (see
	// docs/write-path.md).
	MaxEntries int

	// MaxWeight bounds the sum of Weigher(key, value) over all entries;
	// it requires Weigher. An entry heavier than one shard's share
	// (MaxWeight divided by the shard count) is never stored: it is
	// reported to OnEvict with ReasonCapacity at once. Like MaxEntries, a
	// shard may briefly exceed its share, by up to a sixteenth of it,
	// until Cache.Flush or the next drain.
	MaxWeight int64

	// Weigher returns an entry's weight, for MaxWeight. It runs on the
	// writing goroutine before any lock is taken; it must be cheap and
	// must not depend on anything but its arguments. A weight of 0 counts
	// as 1: every entry takes memory, and entries that weighed nothing
	// could grow the cache past MaxWeight without limit.
	Weigher func(key K, value V) uint32

	// TTL is how long an entry lives after it is written, unless a write
	// or a loader gives its own or ExpireAfterWrite decides. 0 means
	// entries do not expire.
	TTL time.Duration

	// ExpireAfterAccess makes each Get hit restart the entry's lifetime
	// (a sliding expiry): an entry expires once it has gone unread and
	// unwritten for its TTL.
	ExpireAfterAccess bool

	// ExpireAfterWrite, if set, computes the lifetime of each value
	// written without one of its own, from its key and the value: on
	// create and on update, by Set, GetOrSet, Compute, and loads and
	// refreshes whose loader gives no lifetime (see TTLLoader). It runs on
	// the writing goroutine before any lock is taken (for GetOrSet, also
	// when the value already there is kept), so it must be cheap and must
	// not use the cache. Its result means what SetWithTTL's ttl means: 0
	// Options.TTL, NoTTL never, negative already expired; TTLJitter
	// shortens it as it does TTL. An explicit lifetime (SetWithTTL, a
	// TTLLoader's, a snapshot's remaining one) wins over it, and negative
	// entries keep NegativeTTL. nil means every such value lives for TTL.
	ExpireAfterWrite func(key K, value V) time.Duration

	// ExpireAfterRead, if set, sets an entry's lifetime on each hit of
	// Get, GetOrLoad and GetMany (not Peek, All or GetOrSet): it gets the
	// key, the value read and the time that value had left (NoTTL if
	// none), and returns its lifetime from now on: 0 leaves it as it was,
	// NoTTL never expires, negative expires it once this read returns.
	// The lifetime lands on the version of the value it was computed from
	// or on none: if a write replaced the value meanwhile, the read starts
	// again with the new value. It runs on the reading goroutine, with no
	// lock held, so it must be cheap. Cost: a clock read and a call per
	// hit, and every entry is the size an ExpireAfterAccess cache's are.
	// It cannot be combined with ExpireAfterAccess, which it generalises.
	ExpireAfterRead func(key K, value V, remaining time.Duration) time.Duration

	// Policy chooses the eviction algorithm each shard runs. The zero
	// value, eviction.Default, is the best measured policy.
	Policy eviction.Algorithm

	// NewPolicy, if set, plugs in an eviction policy of your own instead
	// of Policy (leave Policy at Default): New calls it once per shard,
	// with the shard's share of the bound, and each call must return a
	// new policy (New refuses a nil one, or one returned twice). It needs
	// MaxEntries or MaxWeight. See eviction.Custom
	// for the contract, and the eviction/evictiontest kit to check it.
	NewPolicy func(capacity int64) eviction.Custom[K, V]

	// Shards is the number of partitions, a power of two, and for a
	// bounded cache at most the bound (each shard needs a share of at
	// least 1). 0 means 64, reduced for small caches: a bounded cache
	// gets at most one shard per 4096 units of capacity (see the README).
	Shards int

	// OnEvict, if set, is called once for every entry that leaves the
	// cache, with the reason it left. It runs on the goroutine that
	// caused the removal (a writer, Clear, Close, or the expiry goroutine)
	// after the shard's lock is released, so it may use the cache. The
	// removals of one operation are reported in the order they happened.
	OnEvict func(key K, value V, reason Reason)

	// Clock supplies the time for expiry, refresh and load timing. nil
	// means the system's monotonic clock; a typed nil (a nil pointer of a
	// Clock type) is refused by New. Tests inject a fake clock to move
	// time by hand.
	Clock Clock

	// TTLJitter spreads expiry so that entries written together do not
	// all expire, and reload, together. Each lifetime the cache takes from
	// the options (TTL, ExpireAfterWrite and NegativeTTL, not a lifetime
	// given to SetWithTTL) is shortened by a random fraction of itself in
	// [0, TTLJitter): with TTL 10m and TTLJitter 0.2 entries live between
	// 8m and 10m, so TTL stays an upper bound on staleness. It must be in
	// [0, 1); 0 means no jitter.
	TTLJitter float64

	// Load is the loader that GetOrLoad uses when given none, and the one
	// that refreshes stale entries found by Get (see RefreshAfter). It
	// runs on a goroutine of its own, never under a lock; see Loader for
	// the contract. nil means GetOrLoad needs an explicit loader.
	Load func(ctx context.Context, key K) (V, error)

	// LoadMany is the bulk loader that GetMany uses when given none; see
	// BulkLoader. nil means GetMany needs an explicit loader.
	LoadMany func(ctx context.Context, keys []K) (map[K]V, error)

	// LoadTimeout bounds each load: the loader's context is cancelled
	// after it. 0 means loads are bounded only by Close.
	LoadTimeout time.Duration

	// RefreshAfter turns on refresh-ahead: a GetOrLoad or GetMany hit on
	// a value written at least RefreshAfter ago, or a Get hit when Load is
	// set, returns the value at once and reloads it in the background. A
	// value is only ever refreshed while it is live, so RefreshAfter should
	// be shorter than its lifetime. 0 means values are never refreshed.
	RefreshAfter time.Duration

	// Tracer, if set, hears when each loader call starts and ends
	// (refreshes and bulk loads included), to record it as a trace span;
	// see Tracer. It is never called on a hit. nil means no tracing; a
	// typed nil is refused by New.
	Tracer Tracer

	// NegativeTTL turns on negative caching: when a loader reports
	// ErrNotFound, the cache remembers that for NegativeTTL (NoTTL:
	// forever) and answers ErrNotFound without calling a loader again.
	// 0 means not-found answers are not cached.
	NegativeTTL time.Duration
}

// Clock tells the time. It must never go backwards.
type Clock interface {
	Now() time.Time
}

// NoTTL, given as a lifetime, stores an entry that never expires, whatever
// Options.TTL says.
const NoTTL = time.Duration(math.MaxInt64)

// DefaultShards is the shard count of a large cache.
const DefaultShards = 64

// minShardCapacity is the smallest capacity worth giving one shard: below
// it, imbalance between shards and policies too small to learn from cost
// hit ratio; above it, more shards only buy concurrency (measured by
// TestShardingTable in benchmarks/replay).
const minShardCapacity = 4096

// ErrInvalidOptions is wrapped by every error New returns for bad options.
var ErrInvalidOptions = errors.New("invalid options")

func optionError(field, format string, args ...any) error {
	return fmt.Errorf("cache: Options.%s %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidOptions)
}

func (o *Options[K, V]) validate() error {
	switch {
	case o.MaxEntries < 0:
		return optionError("MaxEntries", "is %d; it must be 0 (unbounded) or positive", o.MaxEntries)
	case o.MaxWeight < 0:
		return optionError("MaxWeight", "is %d; it must be 0 (unbounded) or positive", o.MaxWeight)
	case o.MaxEntries > 0 && o.MaxWeight > 0:
		return optionError("MaxWeight", "and Options.MaxEntries are both set; choose one bound")
	case o.MaxWeight > 0 && o.Weigher == nil:
		return optionError("Weigher", "is nil but Options.MaxWeight is set; a weight bound needs a weigher")
	case o.Weigher != nil && o.MaxWeight == 0:
		return optionError("Weigher", "is set but Options.MaxWeight is 0; the weights would bound nothing")
	case o.TTL < 0:
		return optionError("TTL", "is %v; it must be 0 (no expiry) or positive", o.TTL)
	case o.ExpireAfterRead != nil && o.ExpireAfterAccess:
		return optionError("ExpireAfterRead", "and Options.ExpireAfterAccess are both set; choose one (ExpireAfterRead returning its own lifetime is a sliding expiry)")
	case !o.Policy.Valid():
		return optionError("Policy", "is %v, which is not a known algorithm", o.Policy)
	case o.NewPolicy != nil && o.Policy != eviction.Default:
		return optionError("NewPolicy", "is set and so is Options.Policy (%v); choose one", o.Policy)
	case o.NewPolicy != nil && o.capacity() == 0:
		return optionError("NewPolicy", "is set but the cache is unbounded (MaxEntries and MaxWeight are 0); a policy would never be asked")
	case o.Shards < 0 || o.Shards&(o.Shards-1) != 0:
		return optionError("Shards", "is %d; it must be 0 (automatic) or a power of two", o.Shards)
	case o.Shards > 1<<16:
		return optionError("Shards", "is %d; at most 65536 shards are supported", o.Shards)
	case o.Shards > 0 && o.capacity() > 0 && o.capacity() < int64(o.Shards):
		// A shard whose share of the bound were 0 would be unbounded.
		return optionError("Shards", "is %d, more than the bound of %d; every shard needs a share of at least 1", o.Shards, o.capacity())
	case !(o.TTLJitter >= 0 && o.TTLJitter < 1): // also rejects NaN
		return optionError("TTLJitter", "is %v; it must be at least 0 and less than 1", o.TTLJitter)
	case o.LoadTimeout < 0:
		return optionError("LoadTimeout", "is %v; it must be 0 (no timeout) or positive", o.LoadTimeout)
	case o.RefreshAfter < 0:
		return optionError("RefreshAfter", "is %v; it must be 0 (no refresh) or positive", o.RefreshAfter)
	case o.NegativeTTL < 0:
		return optionError("NegativeTTL", "is %v; it must be 0 (no negative caching) or positive", o.NegativeTTL)
	// A nil pointer in an interface field is not nil to the cache, which
	// would call it: in New for the clock, on a load's goroutine for the
	// tracer.
	case o.Clock != nil && isnil.IsNil(o.Clock):
		return optionError("Clock", "is a nil %T; leave it nil for the system clock", o.Clock)
	case o.Tracer != nil && isnil.IsNil(o.Tracer):
		return optionError("Tracer", "is a nil %T; leave it nil for no tracing", o.Tracer)
	}
	return nil
}

// customPolicies calls NewPolicy for each shard, with the shard's share of
// the bound, or returns nil when NewPolicy is not set.
func (o *Options[K, V]) customPolicies() ([]eviction.Policy[K, V], error) {
	if o.NewPolicy == nil {
		return nil, nil
	}
	n := o.shardCount()
	ps := make([]eviction.Policy[K, V], n)
	// Shards sharing one policy would evict each other's entries: refuse
	// a pointer returned twice (the usual way to get this wrong). Pointers
	// to zero-size values may be equal without being shared.
	made := make(map[uintptr]int, n)
	var last eviction.Custom[K, V]
	newPolicy := func(c int64) eviction.Custom[K, V] {
		last = o.NewPolicy(c)
		return last
	}
	for i := range ps {
		ps[i] = eviction.NewCustom(newPolicy, shareOf(o.capacity(), n, i))
		if ps[i] == nil {
			return nil, optionError("NewPolicy", "returned nil for shard %d of %d", i, n)
		}
		if v := reflect.ValueOf(last); v.Kind() == reflect.Pointer && v.Type().Elem().Size() > 0 {
			if j, ok := made[v.Pointer()]; ok {
				return nil, optionError("NewPolicy", "returned the same policy (%T) for shards %d and %d of %d; each shard needs a policy of its own", last, j, i, n)
			}
			made[v.Pointer()] = i
		}
	}
	return ps, nil
}

// capacity returns the bound the options set, in weight units (entries
// weigh 1), or 0 when unbounded.
func (o *Options[K, V]) capacity() int64 {
	if o.MaxWeight > 0 {
		return o.MaxWeight
	}
	return int64(o.MaxEntries)
}

// shardCount applies the sizing rule: the requested count, or 64 halved
// until every shard holds at least minShardCapacity units.
func (o *Options[K, V]) shardCount() int {
	if o.Shards > 0 {
		return o.Shards
	}
	n := DefaultShards
	if c := o.capacity(); c > 0 {
		for n > 1 && c/int64(n) < minShardCapacity {
			n /= 2
		}
	}
	return n
}
