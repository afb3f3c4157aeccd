package eviction

import "github.com/stratacache/cache/entry"

// SetCapacity resizes the regions in proportion: the window keeps the
// share the climber gave it, and protected its share of main. On a shrink
// the sketch is folded down to the new capacity (see sketch.ShrinkTo),
// keeping what it learned; on growth it grows with the entries, as it did
// while the cache filled. The climber's ghosts are sized by the entry
// count and follow by themselves.
func (p *tinyLFU[K, V]) SetCapacity(c int64) {
	p.capacity = c
	p.setWindowShare(p.windowShare)
	if int64(p.sketch.Capacity()) > c {
		p.sketch.ShrinkTo(int(c))
	}
}

func (p *tinyLFU[K, V]) Len() int { return p.entries() }

// Reset rebuilds the policy at its capacity: a new sketch, climber and
// ghosts, the window back at its starting share. A member of a group
// stays in it and takes the group's current share at its next report:
// the group's climber describes the workload of every shard, not only of
// this one.
func (p *tinyLFU[K, V]) Reset() {
	g, member := p.group, p.member
	*p = *newTinyLFU[K, V](p.capacity, nil)
	if g != nil {
		p.group, p.member = g, member
		p.climber.period = memberPeriod(0)
	}
}

// Ordered, hottest first, yields the protected segment (entries read again
// since they entered main), then probation (admitted by the sketch, not
// read since), then the window (new entries not yet admitted), each most
// recently used first; coldest first is the exact reverse. The segments
// say more about what the policy will keep than recency or the sketch
// alone: a window entry still has to win its duel to stay. Cost: O(1) per
// entry yielded.
func (p *tinyLFU[K, V]) Ordered(hottest bool, yield func(*entry.Entry[K, V]) bool) {
	if hottest {
		_ = walk(&p.protected.list, true, yield) &&
			walk(&p.probation.list, true, yield) &&
			walk(&p.window.list, true, yield)
		return
	}
	_ = walk(&p.window.list, false, yield) &&
		walk(&p.probation.list, false, yield) &&
		walk(&p.protected.list, false, yield)
}

// Frequency implements FrequencyCounter with the sketch's estimate.
func (p *tinyLFU[K, V]) Frequency(hash uint64) int { return p.sketch.Estimate(hash) }

// RaiseFrequency implements FrequencyCounter.
func (p *tinyLFU[K, V]) RaiseFrequency(hash uint64, n int) { p.sketch.Raise(hash, n) }

var _ FrequencyCounter = (*tinyLFU[int, int])(nil)
