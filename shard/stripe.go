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
const sampleOf16 = 2

// stripeUsed is the size of a stripe's fields; readbuf.Buffer's size does
// not depend on its element type.
const stripeUsed = unsafe.Sizeof(readbuf.Buffer[byte]{}) + 4*unsafe.Sizeof(atomic.Uint64{})

// stripe is one of a shard's read recorders: the hit and miss counters and
// a lossy buffer of entries read. A shard starts with one stripe in use, so
// that reads from one goroutine reach the policy in the order they were
// made; when readers collide, the shard doubles the stripes in use, and
// each goroutine then keeps to the stripe its stack address picks, so
// reads running at the same time on different cores mostly write
// different cache lines, each of which stays with one core.
type stripe[K comparable, V any] struct {
	reads                 readbuf.Buffer[entry.Entry[K, V]]
	hits, misses, negHits atomic.Uint64
	// overwrites counts the overwrites done without the data lock (see
	// Shard.overwrite): each is a set and a replaced value.
	overwrites atomic.Uint64
	_          [(cacheLine - stripeUsed%cacheLine) % cacheLine]byte
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
//
// Go offers no cheap way to ask which processor a goroutine runs on, and a
// random stripe per read would move every stripe's cache line from core to
// core. The address of a local variable is a stable, free stand-in for the
// goroutine (goroutines have separate stacks, which move only when they
// grow), so each goroutine keeps to one stripe. Only the choice of stripe
// depends on it; any stripe is correct.
func (s *Shard[K, V]) stripe() (*stripe[K, V], uint32) {
	n := s.active.Load()
	if n == 1 {
		return &s.stripes[0], n
	}
	var here byte
	g := uint32(uintptr(unsafe.Pointer(&here))>>12) * 0x9E3779B1 // Fibonacci hashing
	return &s.stripes[(g>>24)&(n-1)], n
}

// sampled reports whether the read that made a stripe's count c, with n
// stripes in use, goes to the policy: all of them while one stripe is in
// use, sampleOf16 in 16 once readers contend.
func sampled(n uint32, c uint64) bool { return n == 1 || c%16 < sampleOf16 }

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
		if s.policyMu.TryLock() {
			s.drainReadsLocked()
			s.policyMu.Unlock()
		} else {
			contended = true
		}
	}
	if contended && int(n) < len(s.stripes) {
		s.active.CompareAndSwap(n, 2*n)
	}
}

// recordRead hands a read of e that is not a Get (GetOrSet's hit, an
// overwrite recorded as a read) to the policy, sampled as Read samples
// once readers contend. These reads have no stripe counter of their own,
// so the sample is drawn from the runtime's cheap random source.
func (s *Shard[K, V]) recordRead(e *entry.Entry[K, V]) {
	if s.bounded {
		st, n := s.stripe()
		// Draw only once readers contend: one stripe records every read.
		if n == 1 || sampled(n, uint64(rand.Uint32())) {
			s.record(st, n, e)
		}
	}
}
