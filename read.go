package cache

import (
	"context"
	"iter"
	"time"

	"github.com/stratacache/cache/shard"
)

func (c *core[K, V]) get(key K) (V, bool) {
	h := c.hasher.Hash(key)
	s := c.shardFor(h)
	if c.plainGet {
		return s.Get(key, h)
	}
	v, found, written := c.read(s, key, h)
	if found == shard.FoundValue {
		c.maybeRefresh(context.Background(), key, h, written, c.loader)
	}
	return v, found == shard.FoundValue
}

// read is the shard's Read, with Options.ExpireAfterRead applied to a hit.
func (c *core[K, V]) read(s *shard.Shard[K, V], key K, h uint64) (V, shard.Found, int64) {
	if c.expireAfterRead == nil {
		return s.Read(key, h)
	}
	v, found, written, _ := c.readTimed(s, key, h)
	return v, found, written
}

// readTimed is read, also returning the time a hit has left after it:
// NoTTL if none.
func (c *core[K, V]) readTimed(s *shard.Shard[K, V], key K, h uint64) (V, shard.Found, int64, time.Duration) {
	for count := true; ; count = false {
		v, found, written, hit := s.ReadHit(key, h, count)
		if found != shard.FoundValue {
			return v, found, written, 0
		}
		remaining := NoTTL
		if r := hit.Remaining(); r >= 0 {
			remaining = time.Duration(r)
		}
		if c.expireAfterRead == nil {
			return v, found, written, remaining
		}
		d := c.expireAfterRead(key, v, remaining)
		if d == 0 {
			return v, found, written, remaining
		}
		// The lifetime was computed from this version's value: it lands
		// on this version or, if a write came first, on none. NoTTL is too
		// far to represent, and so never expires.
		if s.Retime(hit, int64(d)) {
			if d > 0 && d != NoTTL && !c.janitor.Load() {
				c.startJanitor()
			}
			return v, found, written, max(d, 0)
		}
	}
}

// getWithTTL is Get, also returning the time the value has left.
func (c *core[K, V]) getWithTTL(key K) (V, time.Duration, bool) {
	h := c.hasher.Hash(key)
	s := c.shardFor(h)
	v, found, written, remaining := c.readTimed(s, key, h)
	if found != shard.FoundValue {
		var zero V
		return zero, 0, false
	}
	if !c.plainGet {
		c.maybeRefresh(context.Background(), key, h, written, c.loader)
	}
	return v, remaining, true
}

func (c *core[K, V]) peek(key K) (V, bool) {
	h := c.hasher.Hash(key)
	return c.shardFor(h).Peek(key, h)
}

// all yields the live entries one shard at a time. It copies a shard's
// entries under its lock and yields with no lock held, so the loop
// body may use the cache.
func (c *core[K, V]) all() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		var buf []shard.Pair[K, V]
		for _, s := range c.shards {
			buf = s.AppendLive(buf[:0])
			for _, p := range buf {
				if !yield(p.Key, p.Value) {
					return
				}
			}
		}
	}
}

func (c *core[K, V]) keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range c.all() {
			if !yield(k) {
				return
			}
		}
	}
}

func (c *core[K, V]) len() int {
	n := 0
	for _, s := range c.shards {
		n += s.Len()
	}
	return n
}

func (c *core[K, V]) stats() Stats {
	var st Stats
	for _, s := range c.shards {
		sc := s.Counters()
		st.Hits += sc.Hits
		st.Misses += sc.Misses
		st.NegativeHits += sc.NegativeHits
		st.Sets += sc.Sets
		for r, n := range sc.Removed {
			st.Removed[r] += n
		}
		st.Entries += sc.Len
		st.Weight += sc.Weight
	}
	c.loads.addTo(&st)
	return st
}
