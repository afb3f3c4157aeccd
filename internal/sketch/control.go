package sketch

// This file holds the operations a cache needs when it is resized or
// restored from a snapshot; the sketch's normal use needs none of them.

// Raise makes the estimate for hash at least n (capped at 15) by raising
// each of its counters that is lower. It does not count as an addition,
// so it never triggers aging: a snapshot restores counts without aging
// away the counts restored before them. Estimates stay upper bounds.
func (s *Sketch) Raise(hash uint64, n int) {
	if n <= 0 {
		return
	}
	v := uint64(min(n, counterMax))
	for r, i := range s.indexes(hash) {
		if c := s.get(uint64(r), i); c < v {
			s.table[uint64(r)*s.rowWords+i/16] += (v - c) << (4 * (i % 16))
		}
	}
}

// ShrinkTo resizes the sketch, if it is sized for more than n keys, to
// track about n, and shortens the aging period to match. Each row is
// folded onto its narrower self: a key's counter in the narrow row is
// the larger of the two wide counters that map to it, so every estimate
// stays an upper bound and no count is lost. Cost: one pass over the
// table and one allocation of the new one.
func (s *Sketch) ShrinkTo(n int) {
	n = max(n, 1)
	if n >= s.capacity {
		return
	}
	width := widthFor(n * widthFactor)
	oldWidth := s.mask + 1
	if width >= oldWidth {
		// Same table; only the aging period follows the capacity.
		s.capacity = n
		s.period = agingFactor * n
		s.additions = min(s.additions, s.period-1)
		return
	}
	old := *s
	s.rowWords = width / 16
	s.mask = width - 1
	s.capacity = n
	s.period = agingFactor * n
	s.additions = min(s.additions, s.period-1)
	s.table = make([]uint64, depth*s.rowWords)
	// A key's index in a row is the low bits of a fixed 32-bit value, so
	// the old index i lands on i mod width.
	for r := range uint64(depth) {
		for i := range oldWidth {
			c := old.get(r, i)
			j := i & s.mask
			if cur := s.get(r, j); c > cur {
				s.table[r*s.rowWords+j/16] += (c - cur) << (4 * (j % 16))
			}
		}
	}
}
