package cache

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/shard"
)

func (c *core[K, V]) weigh(key K, value V) uint32 {
	if c.weigher == nil {
		return 1
	}
	// A weight of 0 counts as 1 (see Options.Weigher).
	return max(c.weigher(key, value), 1)
}

// lifetime maps a caller's TTL to the shard's: 0 takes the cache default
// (jittered), NoTTL means none (0 to the shard), negative means already
// expired.
func (c *core[K, V]) lifetime(ttl time.Duration) int64 {
	switch ttl {
	case 0:
		return c.jittered(c.ttl)
	case NoTTL:
		return 0
	}
	return int64(ttl)
}

// lifetimeOf is the lifetime of value written under key with ttl as
// lifetime takes it, Options.ExpireAfterWrite deciding when ttl is 0.
func (c *core[K, V]) lifetimeOf(key K, value V, ttl time.Duration) int64 {
	if ttl != 0 || c.expireAfterWrite == nil {
		return c.lifetime(ttl)
	}
	switch d := c.expireAfterWrite(key, value); {
	case d == 0:
		return c.jittered(c.ttl)
	case d == NoTTL:
		return 0
	case d > 0:
		return c.jittered(int64(d))
	default:
		return int64(d) // already expired
	}
}

// jittered shortens a lifetime from the options by a random fraction of
// itself below Options.TTLJitter. Since the fraction is below 1, the result
// stays positive. It costs one call to the runtime's per-thread generator.
func (c *core[K, V]) jittered(life int64) int64 {
	if c.jitter == 0 || life <= 0 {
		return life
	}
	span := int64(float64(life) * c.jitter)
	if span <= 0 {
		return life
	}
	return life - rand.Int64N(span)
}

func (c *core[K, V]) set(key K, value V, ttl time.Duration, onlyIfAbsent bool) (V, bool) {
	w := c.weigh(key, value)
	h := c.hasher.Hash(key)
	life := c.lifetimeOf(key, value, ttl)
	cur, found, removed := c.shardFor(h).Set(key, h, value, w, life, onlyIfAbsent)
	c.afterWrite(life, &removed)
	return cur, found
}

func (c *core[K, V]) delete(key K) bool {
	h := c.hasher.Hash(key)
	found, removed := c.shardFor(h).Delete(key, h)
	repanic(c.notify(&removed))
	return found
}

// maxComputeAttempts bounds Compute's retries. Losing that many races in a
// row to other writers is not something contention does; a fn that writes
// its own key, changing it during every call, does it every time.
const maxComputeAttempts = 1000

func (c *core[K, V]) compute(key K, fn func(old V, found bool) (V, Action)) (V, bool) {
	h := c.hasher.Hash(key)
	s := c.shardFor(h)
	for attempt := 1; ; attempt++ {
		if attempt > maxComputeAttempts {
			panic(fmt.Sprintf("cache: Compute(%v) gave up: the key was written while each of %d calls of fn ran; "+
				"fn must not write the key it computes (return the value with ActionSet instead)", key, maxComputeAttempts))
		}
		old, found, ver := s.Lookup(key, h)
		v, action := fn(old, found)
		var (
			op     shard.Op
			w      uint32
			life   int64
			result V
			stored bool
		)
		switch action {
		case ActionSet:
			op, w, result, stored = shard.OpSet, c.weigh(key, v), v, true
			life = c.lifetimeOf(key, v, 0)
		case ActionDelete:
			op = shard.OpDelete
		default:
			op, result, stored = shard.OpKeep, old, found
		}
		applied, removed := s.Apply(key, h, ver, op, v, w, life)
		c.afterWrite(life, &removed)
		if applied {
			if op == shard.OpSet && c.closed.Load() {
				// The shard ignores writes once closed (and Close
				// clears what got in just before): nothing is stored.
				var zero V
				return zero, false
			}
			return result, stored
		}
		// Another writer changed the key after fn read it: fn runs again
		// on the new state, exactly like a compare-and-swap loop.
	}
}

func (c *core[K, V]) clear() {
	var first any
	for _, s := range c.shards {
		removed := s.Clear()
		first = firstPanic(first, c.notify(&removed))
	}
	repanic(first)
}

func (c *core[K, V]) afterWrite(life int64, removed *entry.List[K, V]) {
	if life != 0 && !c.janitor.Load() {
		c.startJanitor()
	}
	repanic(c.notify(removed))
}

// notify reports removed entries to OnEvict in order, with no lock held,
// skipping negative entries, which have no value to report. A panicking
// hook does not stop the others from running: notify returns the first
// panic's value for the caller to re-raise once its whole operation is
// done, so every removal is still reported exactly once. A panic of a
// custom eviction policy, which the shard recorded in removed, comes
// first.
func (c *core[K, V]) notify(removed *entry.List[K, V]) (panicked any) {
	panicked = removed.TakePanic()
	if c.onEvict == nil || removed.Len() == 0 {
		return panicked
	}
	for e := removed.PopFront(); e != nil; e = removed.PopFront() {
		if e.Negative() {
			continue
		}
		panicked = firstPanic(panicked, c.callHook(e))
	}
	return panicked
}

func firstPanic(first, next any) any {
	if first != nil {
		return first
	}
	return next
}

func repanic(p any) {
	if p != nil {
		panic(p)
	}
}

func (c *core[K, V]) callHook(e *entry.Entry[K, V]) (recovered any) {
	defer func() { recovered = recover() }()
	c.onEvict(e.Key(), e.Value(), e.Reason())
	return nil
}
