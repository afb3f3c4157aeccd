// Package sketch is a small count-min sketch of 4-bit counters: a fixed
// amount of memory that estimates how often each key was seen recently,
// for admission policies such as TinyLFU.
//
// Estimates never undercount a key seen at most 15 times since the last
// aging, and overcount by more than e·N/width (N increments since the last
// aging) with probability at most e^-4. Counters are halved every
// 10×capacity increments, so old popularity fades and new keys can win.
//
// Cost: Increment and Estimate touch one counter in each of 4 rows and
// never allocate; aging is one pass over the table, amortised. Memory is
// about 8 bytes (at most 16) per key of capacity. Not safe for concurrent
// use.
package sketch

import (
	"math/bits"

	"github.com/stratacache/cache/internal/hashing"
)

const (
	depth = 4 // rows: enough independent estimates to make a bad miss rare
	// counterMax saturates a 4-bit counter; an admission policy only needs
	// to tell "seen a lot" from "seen a little".
	counterMax = 15
	// agingFactor sets the sample between halvings, in multiples of the
	// capacity: long enough to see each cached key several times.
	agingFactor = 10
	// widthFactor sets the counters per row per key of capacity. With
	// four per key, a cache full of keys loads each counter a quarter,
	// so all four rows of a key rarely collide.
	widthFactor = 4
	// halfMask clears the bit that a shift right moves into the top of
	// each nibble from its neighbour.
	halfMask = 0x7777777777777777
	minWidth = 64
)

// Sketch estimates access frequencies. The zero value is unusable; use New.
type Sketch struct {
	table     []uint64 // depth rows of width/16 words each, row after row
	rowWords  uint64   // words per row
	mask      uint64   // width-1: selects a counter within a row
	capacity  int      // keys the sketch is sized for
	additions int      // increments since the last halving (halved with it)
	period    int      // additions that trigger a halving
	epoch     uint32   // halvings so far
}

// New returns a sketch sized to track about capacity distinct keys.
func New(capacity int) *Sketch {
	s := &Sketch{}
	s.resize(capacity, nil)
	return s
}

// widthFor rounds a row width up to a power of two, at least minWidth,
// at most 2^32 (the row index is 32 bits).
func widthFor(counters int) uint64 {
	w := uint64(minWidth)
	if counters > minWidth {
		w = 1 << bits.Len64(uint64(counters-1))
	}
	return min(w, 1<<32)
}

func (s *Sketch) resize(capacity int, old []uint64) {
	capacity = max(capacity, 1)
	width := widthFor(capacity * widthFactor)
	s.rowWords = width / 16
	s.mask = width - 1
	s.capacity = capacity
	s.period = agingFactor * capacity
	oldRowWords := uint64(len(old) / depth)
	s.table = make([]uint64, depth*s.rowWords)
	if oldRowWords == 0 {
		return
	}
	// A key's index in a row is the low bits of a fixed 32-bit value, so
	// in a row twice as wide it lands on its old index or that plus the
	// old width. Repeating each old row keeps every estimate an upper
	// bound across the growth.
	for r := uint64(0); r < depth; r++ {
		src := old[r*oldRowWords : (r+1)*oldRowWords]
		row := s.table[r*s.rowWords : (r+1)*s.rowWords]
		for i := uint64(0); i < s.rowWords; i += oldRowWords {
			copy(row[i:], src)
		}
	}
}

// Capacity returns the number of keys the sketch is sized for.
func (s *Sketch) Capacity() int { return s.capacity }

// Width returns the number of counters per row.
func (s *Sketch) Width() int { return int(s.mask + 1) }

// EnsureCapacity grows the sketch, if needed, to track at least n keys,
// and lengthens the aging period to match. It only grows; counts carry
// over. Each growth copies the table, so callers growing step by step
// should ask for generous steps (say, double).
func (s *Sketch) EnsureCapacity(n int) {
	if n <= s.capacity {
		return
	}
	s.resize(n, s.table)
}

// indexes returns the counter each row uses for hash. The caller's hash
// may have some bits fixed (a shard is chosen by the top bits), so it is
// mixed again; two mixes give 128 bits, 32 for each row.
func (s *Sketch) indexes(hash uint64) [depth]uint64 {
	a := hashing.Mix(hash)
	b := hashing.Mix(a ^ 0x9e3779b97f4a7c15)
	return [depth]uint64{
		uint64(uint32(a)) & s.mask,
		(a >> 32) & s.mask,
		uint64(uint32(b)) & s.mask,
		(b >> 32) & s.mask,
	}
}

func (s *Sketch) get(row, i uint64) uint64 {
	return s.table[row*s.rowWords+i/16] >> (4 * (i % 16)) & counterMax
}

// Increment counts one occurrence of hash. It uses the conservative
// update rule: only the rows holding the current minimum are raised, which
// keeps the estimate an upper bound while adding less noise to other keys.
func (s *Sketch) Increment(hash uint64) {
	idx := s.indexes(hash)
	low := uint64(counterMax)
	for r, i := range idx {
		low = min(low, s.get(uint64(r), i))
	}
	if low == counterMax {
		return
	}
	for r, i := range idx {
		if s.get(uint64(r), i) == low {
			s.table[uint64(r)*s.rowWords+i/16] += 1 << (4 * (i % 16))
		}
	}
	s.additions++
	if s.additions >= s.period {
		s.Age()
	}
}

// Estimate returns how often hash was seen, as an upper bound (saturating
// at 15, and halved at every aging).
func (s *Sketch) Estimate(hash uint64) int {
	idx := s.indexes(hash)
	low := uint64(counterMax)
	for r, i := range idx {
		low = min(low, s.get(uint64(r), i))
	}
	return int(low)
}

// Age halves every counter, so that what was popular long ago stops
// outweighing what is popular now. It runs by itself every 10×capacity
// increments.
func (s *Sketch) Age() {
	for i, w := range s.table {
		s.table[i] = w >> 1 & halfMask
	}
	s.additions /= 2
	s.epoch++
}

// Epoch counts the agings so far. A caller that notes the epoch in which
// it last counted a key can tell whether the key's count has been halved
// since, which matters when comparing it with a key counted after.
func (s *Sketch) Epoch() uint32 { return s.epoch }

// Reset zeroes every counter.
func (s *Sketch) Reset() {
	clear(s.table)
	s.additions = 0
}
