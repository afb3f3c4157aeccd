package slab

// ghost remembers the hashes of the last entries the small ring dropped,
// so that a key coming back soon enough goes straight to the main ring.
// It is direct-mapped: each slot holds one fingerprint and the sequence
// number of its eviction, and a newer eviction mapping to the same slot
// replaces it. Forgetting some keys early costs a little hit ratio, never
// a wrong answer, and the ghost holds no pointer and never allocates
// except when it grows with the index.
type ghost struct {
	slots []uint64 // fingerprint<<32 | sequence number; 0 when empty
	mask  uint64
	seq   uint32 // evictions recorded so far (wrapping)
}

func newGhost(n int) ghost {
	return ghost{slots: make([]uint64, n), mask: uint64(n - 1)}
}

func fingerprint(hash uint64) uint32 { return uint32(hash>>8) | 1 }

func (g *ghost) slot(hash uint64) *uint64 { return &g.slots[(hash>>32)&g.mask] }

// add records that hash left the small ring.
func (g *ghost) add(hash uint64) {
	g.seq++
	*g.slot(hash) = uint64(fingerprint(hash))<<32 | uint64(g.seq)
}

// take reports whether hash was recorded among the last window
// evictions, and forgets it.
func (g *ghost) take(hash uint64, window int) bool {
	s := g.slot(hash)
	if *s == 0 || uint32(*s>>32) != fingerprint(hash) {
		return false
	}
	recent := int(g.seq-uint32(*s)) < window
	*s = 0
	return recent
}

// grow doubles the table when the index does, keeping the records that
// still map to a slot of their own.
func (g *ghost) grow(n int) {
	if n <= len(g.slots) {
		return
	}
	old := g.slots
	g.slots = make([]uint64, n)
	g.mask = uint64(n - 1)
	// The slot index is the low bits of hash>>32, which the ghost does
	// not keep, so an old record can go to any of the slots it may map
	// to; keep it in all of them and let lookups compare fingerprints.
	for i := range g.slots {
		g.slots[i] = old[i&(len(old)-1)]
	}
}

func (g *ghost) reset() {
	clear(g.slots)
	g.seq = 0
}
