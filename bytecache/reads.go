package bytecache

import (
	"sync/atomic"
	"unsafe"
)

// readCounts counts a store's hits and misses in stripes of their own
// cache lines. Reads take no lock (see Store.AppendGet), so one counter
// shared by all would be the one line every read writes, moving from core
// to core; each goroutine keeps to the stripe its stack address picks, as
// the object cache's read recorders do. Stripes are 128 bytes apart, so
// that two never share a line whatever the array's alignment, and many,
// so that two running goroutines rarely share one.
type readCounts struct {
	stripes [countStripes]countStripe
}

const (
	stripeBits   = 6
	countStripes = 1 << stripeBits
)

type countStripe struct {
	hits, misses atomic.Uint64
	_            [128 - 16]byte
}

// stripe returns the calling goroutine's stripe. The address of a local
// variable is a free stand-in for the goroutine (stacks are separate and
// move only when they grow); any stripe is correct.
func (r *readCounts) stripe() *countStripe {
	var here byte
	g := uint32(uintptr(unsafe.Pointer(&here))>>12) * 0x9E3779B1 // Fibonacci hashing
	return &r.stripes[g>>(32-stripeBits)]
}

func (r *readCounts) hit()  { r.stripe().hits.Add(1) }
func (r *readCounts) miss() { r.stripe().misses.Add(1) }

// count adds one read that found a live value (or not).
func (r *readCounts) count(found bool) {
	if found {
		r.hit()
	} else {
		r.miss()
	}
}

func (r *readCounts) load() (hits, misses uint64) {
	for i := range r.stripes {
		hits += r.stripes[i].hits.Load()
		misses += r.stripes[i].misses.Load()
	}
	return hits, misses
}
