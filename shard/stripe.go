package shard

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/readbuf"
)

const cacheLine = 64

// sampleOf16 is how many reads in 16 reach the policy once readers
// contend (see Read).
const sampleOf16 = 4

// stripeUsed is the size of a stripe's fields; readbuf.Buffer's size does
// not depend on its element type.
const stripeUsed = unsafe.Sizeof(readbuf.Buffer[byte]{}) + 3*unsafe.Sizeof(atomic.Uint64{})

// stripe is one of a shard's read recorders: the hit and miss counters and
// a lossy buffer of entries read. A shard starts with one stripe in use, so
// that reads from one goroutine reach the policy in the order they were
// made; when two readers collide on a buffer, the shard doubles the stripes
// in use, and each read then picks one at random, so reads running at the
// same time on different cores mostly write different cache lines.
type stripe[K comparable, V any] struct {
	reads                 readbuf.Buffer[entry.Entry[K, V]]
	hits, misses, negHits atomic.Uint64
	_                     [(cacheLine - stripeUsed%cacheLine) % cacheLine]byte
}

// stripeCount is the number of stripes per shard: twice the processors
// that can run reads at once, rounded up to a power of two, at most 16.
// (GOMAXPROCS is read once; later changes leave shards as they are.)
func stripeCount() int {
	n := 1
	for n < 2*runtime.GOMAXPROCS(0) && n < 16 {
		n *= 2
	}
	return n
}

// stripe picks a stripe for one read, and returns the number in use.
// math/rand/v2's top-level generator keeps its state per thread, so
// drawing from it shares nothing.
func (s *Shard[K, V]) stripe() (st *stripe[K, V], n uint32, sampled bool) {
	n = s.active.Load()
	if n == 1 {
		return &s.stripes[0], n, true
	}
	r := rand.Uint32()
	return &s.stripes[r&(n-1)], n, r>>28 < sampleOf16
}

// record hands a read of e to the policy through stripe st, one of n in
// use: it widens the stripes on contention, and drains the buffers when
// st's is full and the lock is free.
func (s *Shard[K, V]) record(st *stripe[K, V], n uint32, e *entry.Entry[K, V]) {
	full, contended := st.reads.TryAdd(e)
	if full {
		// A full buffer is drained by whoever filled it, if the lock is
		// free; otherwise the next writer or drain takes its records,
		// and some reads are lost, which only blurs the policy's
		// picture. A busy lock means that reads or writes on other
		// goroutines keep the shard's policy working: that is
		// contention too.
		if s.mu.TryLock() {
			s.drainReadsLocked()
			s.mu.Unlock()
		} else {
			contended = true
		}
	}
	if contended && int(n) < len(s.stripes) {
		s.active.CompareAndSwap(n, 2*n)
	}
}
