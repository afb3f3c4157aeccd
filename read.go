package cache

import (
	"context"
	"iter"

	"github.com/stratacache/cache/shard"
)

func (c *core[K, V]) get(key K) (V, bool) {
	h := c.hasher.Hash(key)
	s := c.shardFor(h)
	if c.refreshAfter == 0 || c.loader == nil {
		return s.Get(key, h)
	}
	v, found, written := s.Read(key, h)
	if found == shard.FoundValue {
		c.maybeRefresh(context.Background(), key, h, written, c.loader)
	}
	return v, found == shard.FoundValue
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
