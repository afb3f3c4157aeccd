package cache

import (
	"cmp"
	"iter"
	"slices"

	"github.com/stratacache/cache/shard"
)

// Hottest iterates over up to n live entries that the eviction policy
// values most, hottest first: the entries it would evict last. Coldest is
// the other end. Use them to see what a cache holds on to, to pre-warm a
// peer with the hottest keys, or to find what is about to leave.
//
// What "hot" means is the policy's own order, which each documents with
// its eviction.Algorithm constant (and docs/eviction.md); a policy of your
// own (Options.NewPolicy), its Ordered method. An unbounded
// cache orders entries by when they were last written. Shards are merged
// by relative rank (the k-th of m ranks at k/m), exact with one shard.
//
// Each shard applies its buffered reads, then copies up to n entries under
// its locks (writers to it wait); the merge and the loop run with no
// lock held. Memory: up to n entries per shard. The views are not reads:
// they change neither the order nor Stats.
func (c *Cache[K, V]) Hottest(n int) iter.Seq2[K, V] { return keepAlive2(c, c.c.ordered(true, n)) }

// Coldest iterates over up to n live entries that the eviction policy
// values least, coldest first: roughly the order in which it would evict
// them if nothing were read again. It is Hottest's other end; see Hottest
// for the orders, the cost and the consistency.
func (c *Cache[K, V]) Coldest(n int) iter.Seq2[K, V] { return keepAlive2(c, c.c.ordered(false, n)) }

func (c *core[K, V]) ordered(hottest bool, n int) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if n <= 0 {
			return
		}
		type ranked struct {
			shard.Ranked[K, V]
			score float64
		}
		var (
			buf []shard.Ranked[K, V]
			all []ranked
		)
		for _, s := range c.shards {
			buf = s.AppendOrdered(buf[:0], hottest, n)
			for _, r := range buf {
				all = append(all, ranked{r, (float64(r.Rank) + 0.5) / float64(r.Of)})
			}
		}
		clear(buf)
		// Stable: equal scores keep shard order, for reproducible views.
		slices.SortStableFunc(all, func(a, b ranked) int { return cmp.Compare(a.score, b.score) })
		for _, r := range all[:min(n, len(all))] {
			if !yield(r.Key, r.Value) {
				return
			}
		}
	}
}
