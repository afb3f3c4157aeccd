// Package entry defines the node a Strata shard stores for each key, and the
// intrusive list that threads nodes through eviction queues and timer-wheel
// buckets.
//
// An Entry is owned by exactly one shard. Everything except the expiry
// deadline is read and written only with that shard's lock held; the
// deadline is atomic because expire-after-access reads move it forward under
// a shared lock. Entries are never recycled, so a pointer that outlives its
// entry's removal (in a read buffer, say) stays safe to dereference: it just
// reports [Entry.Resident] false.
package entry

import "sync/atomic"

// Entry is one cached key/value pair with the bookkeeping its shard, its
// eviction policy and its shard's timer wheel need.
type Entry[K comparable, V any] struct {
	key   K
	value V

	// expires is the deadline in nanoseconds on the cache's clock; 0 means
	// the entry never expires.
	expires atomic.Int64
	// ttl is the lifetime the entry was written with, kept so that
	// expire-after-access can push the deadline forward by the same amount.
	ttl int64
	// written is when the value was last stored, on the cache's clock;
	// refresh-ahead compares it with the refresh interval. Its 8 bytes
	// cost nothing: weight moved into the padding after slot to make room.
	written int64

	hash uint64

	// Policy area: owned by the shard's eviction policy.
	prev, next *Entry[K, V]
	queue      uint8
	mark       uint8

	// Shard area.
	state  uint8
	reason Reason
	gen    uint32 // bumped by every in-place value change
	slot   uint16 // timer-wheel bucket + 1; 0 when not scheduled
	flags  uint8
	weight uint32
	tprev  *Entry[K, V]
	tnext  *Entry[K, V]
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
	stateResident        // in a shard's map
	stateRemoved         // gone from the shard; kept alive only by stray pointers
)

// New returns an entry that is not yet resident anywhere.
func New[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	return &Entry[K, V]{key: key, value: value, hash: hash, weight: weight}
}

// Key returns the entry's key.
func (e *Entry[K, V]) Key() K { return e.key }

// Value returns the entry's value. The caller must hold the owning shard's
// lock (shared or exclusive), or know the entry has been removed.
func (e *Entry[K, V]) Value() V { return e.value }

// SetValue replaces the value and weight in place; the caller holds the
// owning shard's exclusive lock.
func (e *Entry[K, V]) SetValue(v V, weight uint32) {
	e.value = v
	e.weight = weight
	e.gen++
}

// Negative reports whether the entry is a negative entry: a cached "no
// such key" answer whose value is the zero V. The caller holds the owning
// shard's lock.
func (e *Entry[K, V]) Negative() bool { return e.flags&flagNegative != 0 }

// SetNegative marks the entry negative or not; the caller holds the
// owning shard's exclusive lock.
func (e *Entry[K, V]) SetNegative(negative bool) {
	if negative {
		e.flags |= flagNegative
	} else {
		e.flags &^= flagNegative
	}
}

// Written returns when the entry's value was last stored, as given to
// SetWritten. The caller holds the owning shard's lock.
func (e *Entry[K, V]) Written() int64 { return e.written }

// SetWritten records when the value was stored; the caller holds the
// owning shard's exclusive lock.
func (e *Entry[K, V]) SetWritten(now int64) { e.written = now }

// Generation counts the in-place value changes of the entry, so an
// optimistic writer can tell whether the value it read is still current.
// The caller holds the owning shard's lock.
func (e *Entry[K, V]) Generation() uint32 { return e.gen }

// Hash returns the seeded 64-bit hash the shard was chosen by. Policies may
// use it (frequency sketches, ghost queues) without hashing the key again.
func (e *Entry[K, V]) Hash() uint64 { return e.hash }

// Weight returns the entry's weight (1 when the cache counts entries).
func (e *Entry[K, V]) Weight() uint32 { return e.weight }

// Deadline returns the expiry deadline on the cache's clock in nanoseconds,
// or 0 if the entry never expires. Safe without a lock.
func (e *Entry[K, V]) Deadline() int64 { return e.expires.Load() }

// SetDeadline sets the deadline and the lifetime it was computed from.
// The caller holds the owning shard's exclusive lock.
func (e *Entry[K, V]) SetDeadline(deadline, ttl int64) {
	e.expires.Store(deadline)
	e.ttl = ttl
}

// Extend moves the deadline of an expire-after-access entry to now+ttl. It
// is safe with only a shared lock held: concurrent readers race to store
// nearly equal values, and the timer wheel re-reads the deadline before it
// expires anything.
func (e *Entry[K, V]) Extend(now int64) {
	if e.ttl > 0 {
		e.expires.Store(now + e.ttl)
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

// MarkResident records that the entry was stored in its shard's map.
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
