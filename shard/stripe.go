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
const stripeUsed = unsafe.Sizeof(readbuf.Buffer[byte]{}) + 4*unsafe.Sizeof(atomic.Uint64{}) + unsafe.Sizeof(atomic.Uint32{})

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
	// drains is the shard's count of writers' drains when this buffer
	// last filled on a Get (see record).
	drains atomic.Uint32
	_      [(cacheLine - stripeUsed%cacheLine) % cacheLine]byte
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

// Readers is what the shards of one cache share about their readers.
type Readers struct {
	contend atomic.Bool // readers contended on some shard
}

// record hands a read of e to the policy through stripe st, one of n in
// use, and drains the buffers when st's is full. get says the read is a
// Get's; the others are writes' hints (see recordRead).
//
// While one stripe is in use, the read that fills it drains it, if the
// policy lock is free, so that one goroutine's reads reach the policy in
// the order they were made. Once readers contend (on this shard or, with
// Readers, on any shard of the cache) the shard spreads them over more
// stripes, and a Get hands drains to a goroutine of the shard's (see
// drainLater): a drain of every stripe takes microseconds that no Get
// should wait for. A write, which does policy work anyway, drains itself
// rather than pay for starting a goroutine.
func (s *Shard[K, V]) record(st *stripe[K, V], n uint32, e *entry.Entry[K, V], get bool) {
	full, contended := st.reads.TryAdd(e)
	if full && n == 1 && s.readers != nil && s.readers.contend.Load() {
		s.widen(n)
		n = 2
	}
	switch {
	case !full:
	case n > 1 && get:
		if !s.writersDrain(st) {
			s.drainLater()
		}
	case s.tryDrainReads():
	default:
		// The next writer or drain takes the records; some reads are
		// lost, which only blurs the policy's picture. A busy lock means
		// that other goroutines keep the policy working: contention too.
		contended = true
	}
	if contended {
		s.widen(n)
	}
}

// writersDrain reports whether writers have drained the shard since a
// Get last filled st's buffer: then they will drain it again, and the Get
// that filled it leaves the records to them. Only while writes are idle
// does a full buffer start a drain of its own.
func (s *Shard[K, V]) writersDrain(st *stripe[K, V]) bool {
	d := s.drains.Load()
	if st.drains.Load() == d {
		return false
	}
	st.drains.Store(d)
	return true
}

// countHit counts a hit on stripe st, one of n in use, and returns the
// count. While one stripe is in use it counts by compare-and-swap, whose
// failure means that another goroutine read the shard at that moment.
func (s *Shard[K, V]) countHit(st *stripe[K, V], n uint32) uint64 {
	if n > 1 {
		return st.hits.Add(1)
	}
	c := st.hits.Load()
	if st.hits.CompareAndSwap(c, c+1) {
		return c + 1
	}
	s.widen(n)
	return st.hits.Add(1)
}

// widen doubles the stripes in use, n, unless all are, and tells the
// cache's other shards that readers contend.
func (s *Shard[K, V]) widen(n uint32) {
	if int(n) < len(s.stripes) {
		s.active.CompareAndSwap(n, 2*n)
	}
	if s.readers != nil && !s.readers.contend.Load() {
		s.readers.contend.Store(true)
	}
}

// States of Shard.drain.
const (
	drainIdle int32 = iota
	drainQueued
	drainShut
)

// drainLater drains the read buffers on a goroutine of its own. At most
// one drain is queued per shard; until it runs, reads that fill buffers
// overwrite their oldest records, which only blurs the policy's picture.
// The drain only tries the policy lock: its holder drains reads itself.
func (s *Shard[K, V]) drainLater() {
	if s.drain.Load() != drainIdle {
		return
	}
	// Queued and counted under drainMu, which Close takes to shut drains
	// before it waits: no Add can then race its Wait.
	s.drainMu.Lock()
	if s.drain.Load() != drainIdle {
		s.drainMu.Unlock()
		return
	}
	s.drain.Store(drainQueued)
	s.drainers.Add(1)
	s.drainMu.Unlock()
	go func() {
		defer s.drainers.Done()
		// Idle again first, so that a buffer filled during this drain
		// queues the next one; a closed shard stays shut.
		s.drain.CompareAndSwap(drainQueued, drainIdle)
		s.tryDrainReads()
	}()
}

// tryDrainReads hands the buffered reads to the policy if the policy lock
// is free, and reports whether it was.
func (s *Shard[K, V]) tryDrainReads() bool {
	if !s.policyMu.TryLock() {
		return false
	}
	defer s.policyMu.Unlock()
	s.drainReadsLocked()
	return true
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
			s.record(st, n, e, false)
		}
	}
}
