// Package entry defines the node a Strata shard stores for each key, and the
// intrusive list that threads nodes through eviction queues and timer-wheel
// buckets.
//
// An Entry is owned by exactly one shard and changed only with that shard's
// lock held. Readers take no lock: the key and hash never change, the
// deadline is atomic (expire-after-access reads move it forward), and the
// value with what describes it (write time, lifetime, negative flag) is
// copied by [Entry.Load] under a sequence counter that every [Entry.Write]
// makes odd while it works, so a copy that overlapped a write is retried.
// Entries are never recycled, so a pointer that outlives its entry's
// removal (in a read buffer, say) stays safe to dereference: it just
// reports [Entry.Resident] false.
package entry

import (
	"runtime"
	"sync/atomic"
)

// Entry is one cached key/value pair with the bookkeeping its shard, its
// eviction policy and its shard's timer wheel need.
//
// The layout is kept small because a cache holds millions of these: what
// only some caches use (weights other than 1, the lifetime that
// expire-after-access extends by, the write time refresh-ahead compares)
// lives in a [more] section that [NewFull] allocates together with the
// entry, and that plain entries do without. An Entry of uint64 key and
// value is 80 bytes, 16 less than with every field inline.
type Entry[K comparable, V any] struct {
	// What a read touches comes first, so that it shares as few cache
	// lines as possible: key, value, hash, sequence counter, deadline.
	key   K
	value V
	// hash is the low 32 bits of the key's seeded hash (shards are chosen
	// by the top bits, so these are independent of the shard).
	hash uint32
	// seq is odd while a write is changing value, flags or more, and grows
	// by two with every write; see Load.
	seq atomic.Uint32
	// expires is the deadline in nanoseconds on the cache's clock; 0 means
	// the entry never expires.
	expires atomic.Int64

	// Policy links, owned by the shard's eviction policy.
	prev, next *Entry[K, V]
	// Timer-wheel links, owned by the shard's wheel.
	tprev, tnext *Entry[K, V]

	more *more // nil for a plain entry

	slot   uint16 // timer-wheel bucket + 1; 0 when not scheduled
	queue  uint8  // policy-defined
	mark   uint8  // policy-defined
	state  uint8
	reason Reason
	flags  uint8 // read with value, under seq
}

// more holds the fields only some caches need.
type more struct {
	// ttl is the lifetime the entry was written with, kept so that
	// expire-after-access can push the deadline forward by the same amount.
	ttl int64
	// written is when the value was last stored, on the cache's clock;
	// refresh-ahead compares it with the refresh interval.
	written int64
	weight  uint32
}

// Entry flags.
const (
	// flagNegative marks a negative entry: the loader said the key does
	// not exist, and the shard remembers that answer instead of a value.
	flagNegative = 1 << iota
)

// Entry states.
const (
	stateNew      = iota // built, not yet in a shard
	stateResident        // in a shard's table
	stateRemoved         // gone from the shard; kept alive only by stray pointers
)

// full is an entry and its more section in one allocation.
type full[K comparable, V any] struct {
	e Entry[K, V]
	m more
}

// New returns an entry that is not yet resident anywhere. A plain entry
// (weight 1) records no lifetime and no write time: Write drops them, and
// Load and Written report 0. Use NewFull where they matter.
func New[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	if weight != 1 {
		return NewFull(key, value, hash, weight)
	}
	return &Entry[K, V]{key: key, value: value, hash: uint32(hash)}
}

// NewFull returns an entry that records its weight, lifetime and write
// time, still in one allocation.
func NewFull[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	f := &full[K, V]{e: Entry[K, V]{key: key, value: value, hash: uint32(hash)}, m: more{weight: weight}}
	f.e.more = &f.m
	return &f.e
}

// Key returns the entry's key.
func (e *Entry[K, V]) Key() K { return e.key }

// Value returns the entry's value. The caller must hold the owning shard's
// lock (shared or exclusive), or know the entry has been removed; a reader
// without the lock uses Load.
func (e *Entry[K, V]) Value() V { return e.value }

// Write stores a new value with its weight, write time, lifetime and
// deadline, and marks the entry negative or not (a negative entry caches a
// "no such key" answer; its value is the zero V). The caller holds the
// owning shard's exclusive lock. Lock-free readers see all of it or none.
func (e *Entry[K, V]) Write(v V, weight uint32, written, deadline, ttl int64, negative bool) {
	e.seq.Add(1)
	e.value = v
	e.setWeight(weight)
	if m := e.more; m != nil {
		m.written, m.ttl = written, ttl
	}
	if negative {
		e.flags |= flagNegative
	} else {
		e.flags &^= flagNegative
	}
	e.expires.Store(deadline)
	e.seq.Add(1)
}

// SetValue replaces the value and weight in place and leaves the rest as
// it was; the caller holds the owning shard's exclusive lock.
func (e *Entry[K, V]) SetValue(v V, weight uint32) {
	e.seq.Add(1)
	e.value = v
	e.setWeight(weight)
	e.seq.Add(1)
}

// setWeight records weight; a plain entry given a weight other than 1
// (a shard always creating entries with NewFull when it weighs them, this
// is a fallback) gets a more section of its own.
func (e *Entry[K, V]) setWeight(weight uint32) {
	if e.more == nil {
		if weight == 1 {
			return
		}
		e.more = &more{}
	}
	e.more.weight = weight
}

// Load copies the value, its write time, its lifetime, its deadline and
// the negative flag consistently, without the shard's lock (a deadline
// moved by Extend meanwhile may show; a value never comes with another
// write's deadline): it reads between two loads
// of the sequence counter and starts again if a write ran meanwhile. It
// writes no memory. Writes are a few stores long, so a retry is rare.
func (e *Entry[K, V]) Load() (v V, written, ttl, deadline int64, negative bool) {
	for {
		s := e.seq.Load()
		if s&1 == 0 {
			v, negative, deadline = e.value, e.flags&flagNegative != 0, e.expires.Load()
			written, ttl = 0, 0
			if m := e.more; m != nil {
				written, ttl = m.written, m.ttl
			}
			if unchanged(&e.seq, s) {
				return v, written, ttl, deadline, negative
			}
		}
		runtime.Gosched()
	}
}

// Negative reports whether the entry is a negative entry: a cached "no
// such key" answer whose value is the zero V. The caller holds the owning
// shard's lock.
func (e *Entry[K, V]) Negative() bool { return e.flags&flagNegative != 0 }

// Written returns when the entry's value was last stored, or 0 for a plain
// entry (see New). The caller holds the owning shard's lock.
func (e *Entry[K, V]) Written() int64 {
	if e.more == nil {
		return 0
	}
	return e.more.written
}

// Generation changes with every write of the entry's value, so an
// optimistic writer can tell whether the value it read is still current.
func (e *Entry[K, V]) Generation() uint32 { return e.seq.Load() }

// Hash returns the low 32 bits of the seeded hash of the key (the shard was
// chosen by the top bits). Policies may use it (frequency sketches, ghost
// queues) and tables index by it without hashing the key again.
func (e *Entry[K, V]) Hash() uint64 { return uint64(e.hash) }

// StoredHash returns the part of a key's hash an entry keeps, as Hash
// returns it: anything that looks entries up or counts them by hash
// without the entry at hand goes through it.
func StoredHash(hash uint64) uint64 { return hash & 0xFFFFFFFF }

// Weight returns the entry's weight (1 when the cache counts entries).
func (e *Entry[K, V]) Weight() uint32 {
	if e.more == nil {
		return 1
	}
	return e.more.weight
}

// Deadline returns the expiry deadline on the cache's clock in nanoseconds,
// or 0 if the entry never expires. Safe without a lock.
func (e *Entry[K, V]) Deadline() int64 { return e.expires.Load() }

// SetDeadline moves the deadline; the caller holds the owning shard's
// exclusive lock. The lifetime expire-after-access extends by is the one
// given to Write.
func (e *Entry[K, V]) SetDeadline(deadline int64) { e.expires.Store(deadline) }

// Extend moves the deadline of an expire-after-access entry to now+ttl,
// where ttl is the lifetime Load returned. It needs no lock: concurrent
// readers race to store nearly equal values, and the timer wheel re-reads
// the deadline before it expires anything.
func (e *Entry[K, V]) Extend(now, ttl int64) {
	if ttl > 0 {
		e.expires.Store(now + ttl)
	}
}

// ExpiredAt reports whether the entry has a deadline at or before now.
func (e *Entry[K, V]) ExpiredAt(now int64) bool {
	d := e.expires.Load()
	return d != 0 && d <= now
}

// Queue returns the policy-defined queue the entry is in. Policies use
// small integers; 0 conventionally means "in no queue".
func (e *Entry[K, V]) Queue() uint8 { return e.queue }

// SetQueue records which policy queue the entry is in.
func (e *Entry[K, V]) SetQueue(q uint8) { e.queue = q }

// Mark returns the policy's per-entry bits (a visited bit, a small
// frequency counter, ...).
func (e *Entry[K, V]) Mark() uint8 { return e.mark }

// SetMark sets the policy's per-entry bits.
func (e *Entry[K, V]) SetMark(m uint8) { e.mark = m }

// Resident reports whether the entry is still stored in its shard. A policy
// never sees non-resident entries; shards use it to drop stale read records.
func (e *Entry[K, V]) Resident() bool { return e.state == stateResident }

// MarkResident records that the entry was stored in its shard's table.
func (e *Entry[K, V]) MarkResident() { e.state = stateResident }

// MarkRemoved records that the entry left its shard, and why.
func (e *Entry[K, V]) MarkRemoved(reason Reason) {
	e.state = stateRemoved
	e.reason = reason
}

// Reason returns the value given to MarkRemoved.
func (e *Entry[K, V]) Reason() Reason { return e.reason }

// TimerSlot returns the timer-wheel bucket the entry is scheduled in plus
// one, or 0 if it is not scheduled.
func (e *Entry[K, V]) TimerSlot() uint16 { return e.slot }

// SetTimerSlot records the entry's timer-wheel bucket (plus one; 0 = none).
func (e *Entry[K, V]) SetTimerSlot(s uint16) { e.slot = s }
