package eviction

import "math/bits"

// ghost remembers the hashes of recently evicted entries, oldest first, so
// that a policy can recognise a key that comes back soon after it left. It
// keeps 8 bytes of ring plus one map slot per hash, never the entries.
//
// A hash may sit in the ring more than once (it was forgotten by a hit and
// evicted again); index holds the sequence number of its newest copy, and
// older copies are skipped when they fall off the ring.
type ghost struct {
	ring       []uint64          // circular, power-of-two length
	head, tail uint64            // sequence numbers: oldest held, next to write
	index      map[uint64]uint64 // hash → sequence of its newest copy
}

func (g *ghost) contains(h uint64) bool {
	_, ok := g.index[h]
	return ok
}

// forget drops h, after the policy has acted on seeing it again.
func (g *ghost) forget(h uint64) { delete(g.index, h) }

func (g *ghost) len() int { return len(g.index) }

// add remembers h, first forgetting the oldest hashes so that at most
// limit ring slots stay in use.
func (g *ghost) add(h uint64, limit int) {
	if limit <= 0 {
		return
	}
	if g.index == nil {
		// Sized for the limit at once: a cache that starts evicting is
		// usually full, so the limit will not grow much, and growing
		// step by step would make steady writes allocate.
		g.index = make(map[uint64]uint64, limit)
		g.ring = make([]uint64, max(16, 1<<bits.Len(uint(limit-1))))
	}
	for g.tail-g.head >= uint64(limit) {
		g.popOldest()
	}
	if g.tail-g.head == uint64(len(g.ring)) {
		g.grow()
	}
	g.ring[g.tail&uint64(len(g.ring)-1)] = h
	g.index[h] = g.tail
	g.tail++
}

func (g *ghost) popOldest() {
	h := g.ring[g.head&uint64(len(g.ring)-1)]
	if seq, ok := g.index[h]; ok && seq == g.head {
		delete(g.index, h)
	}
	g.head++
}

func (g *ghost) grow() {
	n := max(16, 2*len(g.ring))
	ring := make([]uint64, n)
	for s := g.head; s != g.tail; s++ {
		ring[s&uint64(n-1)] = g.ring[s&uint64(len(g.ring)-1)]
	}
	g.ring = ring
}
