package eviction

import "math/bits"

// ghost remembers the hashes of recently evicted entries, oldest first, so
// that a policy can recognise a key that comes back soon after it left. It
// keeps 8 bytes of ring and 21 to 43 bytes of index per hash, never the
// entries.
//
// A hash may sit in the ring more than once (it was forgotten by a hit and
// evicted again); the index holds the sequence number of its newest copy,
// and older copies are skipped when they fall off the ring.
//
// The index is an open-addressing table with linear probing rather than a
// Go map: every eviction adds one hash and drops another, and a map's
// insert and delete cost several times a probe of a flat table.
type ghost struct {
	ring       []uint64 // circular, power-of-two length
	head, tail uint64   // sequence numbers: oldest held, next to write
	index      ghostIndex
}

func (g *ghost) contains(h uint64) bool {
	_, ok := g.index.get(h)
	return ok
}

// forget drops h, after the policy has acted on seeing it again.
func (g *ghost) forget(h uint64) { g.index.remove(h) }

func (g *ghost) len() int { return g.index.n }

// add remembers h, first forgetting the oldest hashes so that at most
// limit ring slots stay in use.
func (g *ghost) add(h uint64, limit int) {
	if limit <= 0 {
		return
	}
	if g.ring == nil {
		// Sized for the limit at once: a cache that starts evicting is
		// usually full, so the limit will not grow much, and growing
		// step by step would make steady writes allocate.
		g.ring = make([]uint64, max(16, 1<<bits.Len(uint(limit-1))))
		g.index.init(limit)
	}
	for g.tail-g.head >= uint64(limit) {
		g.popOldest()
	}
	if g.tail-g.head == uint64(len(g.ring)) {
		g.grow()
	}
	g.ring[g.tail&uint64(len(g.ring)-1)] = h
	g.index.put(h, g.tail)
	g.tail++
}

func (g *ghost) popOldest() {
	h := g.ring[g.head&uint64(len(g.ring)-1)]
	if seq, ok := g.index.get(h); ok && seq == g.head {
		g.index.remove(h)
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

// ghostIndex maps hashes to sequence numbers. A slot holds a hash and its
// sequence number plus one, so that 0 marks an empty slot whatever the
// hash. Deletion shifts later slots back instead of leaving tombstones,
// so a table that sees an insert and a delete per eviction never fills
// with them. It stays at most three quarters full.
type ghostIndex struct {
	slots []ghostSlot
	mask  uint64
	shift uint // 64 - log2(len(slots))
	n     int
}

type ghostSlot struct{ hash, seq1 uint64 }

// init sizes the table for n hashes.
func (x *ghostIndex) init(n int) {
	size := 16
	for size*3 < n*4 {
		size *= 2
	}
	x.slots = make([]ghostSlot, size)
	x.mask = uint64(size - 1)
	x.shift = uint(64 - bits.TrailingZeros(uint(size)))
	x.n = 0
}

// home is h's first slot. Hashes are spread again (Fibonacci hashing):
// the policies' hashes may share their low bits with the shard's choice.
func (x *ghostIndex) home(h uint64) uint64 { return (h * 0x9E3779B97F4A7C15) >> x.shift }

func (x *ghostIndex) get(h uint64) (seq uint64, ok bool) {
	if x.slots == nil {
		return 0, false
	}
	for i := x.home(h); ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		if s.seq1 == 0 {
			return 0, false
		}
		if s.hash == h {
			return s.seq1 - 1, true
		}
	}
}

func (x *ghostIndex) put(h, seq uint64) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.rehash(2 * len(x.slots))
	}
	for i := x.home(h); ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		if s.seq1 == 0 {
			*s = ghostSlot{h, seq + 1}
			x.n++
			return
		}
		if s.hash == h {
			s.seq1 = seq + 1
			return
		}
	}
}

func (x *ghostIndex) remove(h uint64) {
	if x.slots == nil {
		return
	}
	i := x.home(h)
	for ; ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		if s.seq1 == 0 {
			return
		}
		if s.hash == h {
			break
		}
	}
	x.n--
	// Shift back every later slot of the run whose home is not cyclically
	// within (i, j], so that each stays reachable from its home.
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		s := x.slots[j]
		if s.seq1 == 0 {
			break
		}
		if home := x.home(s.hash); (j-home)&x.mask >= (j-i)&x.mask {
			x.slots[i] = s
			i = j
		}
	}
	x.slots[i] = ghostSlot{}
}

func (x *ghostIndex) rehash(size int) {
	old := x.slots
	x.init(size * 3 / 4)
	for _, s := range old {
		if s.seq1 != 0 {
			x.put(s.hash, s.seq1-1)
		}
	}
}
