package eviction

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/stratacache/cache/entry"
)

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

// What TinyLFU learns beyond frequencies is whether victims rotate: the
// decision and the running rate behind it. The window share is not
// carried: a fresh climber finds it within a few periods, and restoring
// it with stale averages did worse (benchmarks/notes/hitratio-notes.md).
// The encoding is the algorithm, the rate as IEEE-754 bits, big-endian,
// and the decision as one byte.
const learnedLen = 1 + 8 + 1

// AppendLearned implements Learner. A member of a group appends the
// group's state, which is what its shards act on.
func (p *tinyLFU[K, V]) AppendLearned(b []byte) []byte {
	c := &p.climber
	if p.group != nil {
		p.group.mu.Lock()
		defer p.group.mu.Unlock()
		c = &p.group.climber
	}
	return c.appendLearned(b)
}

// Learn implements Learner. A member of a group teaches the group too, so
// that its next report does not undo the lesson.
func (p *tinyLFU[K, V]) Learn(b []byte) error {
	returns, rotate, err := decodeLearned(b)
	if err != nil {
		return err
	}
	p.climber.returns, p.climber.rotate = returns, rotate
	if g := p.group; g != nil {
		g.mu.Lock()
		g.climber.returns, g.climber.rotate = returns, rotate
		g.mu.Unlock()
	}
	return nil
}

func (c *climber) appendLearned(b []byte) []byte {
	b = append(b, byte(TinyLFU))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(c.returns))
	if c.rotate {
		return append(b, 1)
	}
	return append(b, 0)
}

var errNotLearned = errors.New("eviction: not what a TinyLFU policy learned")

// CheckLearned returns the error Learn would return for b on the policy
// that saved it, without a policy: snapshots check what they load before
// they change any cache.
func CheckLearned(b []byte) error {
	_, _, err := decodeLearned(b)
	return err
}

func decodeLearned(b []byte) (returns float64, rotate bool, err error) {
	if len(b) != learnedLen || Algorithm(b[0]) != TinyLFU {
		return 0, false, fmt.Errorf("%w: %d bytes starting % x", errNotLearned, len(b), b[:min(len(b), 2)])
	}
	returns = math.Float64frombits(binary.BigEndian.Uint64(b[1:]))
	// A rate is a share of requests; NaN fails both comparisons.
	if !(returns >= 0 && returns <= 1) || b[9] > 1 {
		return 0, false, fmt.Errorf("%w: rate %v, rotation byte %d", errNotLearned, returns, b[9])
	}
	return returns, b[9] == 1, nil
}

var _ Learner = (*tinyLFU[int, int])(nil)
