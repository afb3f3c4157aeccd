// Package entry defines the node a Strata shard stores for each key, and the
// intrusive list that threads nodes through eviction queues and timer-wheel
// buckets.
//
// An Entry is owned by exactly one shard and changed only with that shard's
// lock held. Readers take no lock: the key and hash never change, the
// deadline is atomic, and the value with what describes it is copied by
// [Entry.Load] under a sequence counter that every [Entry.Write] makes odd
// while it works, so a copy that overlapped a write is retried. Entries are
// never recycled, so a pointer that outlives its entry's removal (in a read
// buffer, say) stays safe to dereference: it reports [Entry.Resident] false.
package entry

import (
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Entry is one cached key/value pair with the bookkeeping its shard, its
// eviction policy and its shard's timer wheel need.
//
// It is kept small because a cache holds millions: what only some entries
// use lives in sections allocated with the entry. The timer section
// (deadline, timer-wheel links) is for entries that can expire ([NewTimed],
// [NewFull]); the more section (lifetime, write time, weight) for caches
// that weigh entries, refresh ahead, expire after access or keep no policy
// ([NewFull]; found from the timer section, see [Entry.more]). A plain
// entry that later needs a section gets it, allocated apart, from the
// write that needs it: one allocation, and the entry's pointer stays the
// same for the table, the policy and lock-free readers. For uint64 key and
// value a plain entry is 56 bytes, a timed one 80 and a full one 104.
type Entry[K comparable, V any] struct {
	// What a read touches comes first, so that it shares as few cache
	// lines as possible: key, value, hash, sequence counter.
	key   K
	value V
	// hash is the low 32 bits of the key's seeded hash (shards are chosen
	// by the top bits, so these are independent of the shard).
	hash uint32
	// seq is odd while a write is changing value, flags or a section, or
	// while a reader extends the deadline; it grows by two with every
	// write, and an extension leaves it as it found it. See Load, Extend.
	seq atomic.Uint32

	// Policy links, owned by the shard's eviction policy.
	prev, next *Entry[K, V]

	// x is the timer section, nil until the entry has one. Changed only
	// by the shard's lock holder while seq is odd (see growTimer), and
	// never again once the entry is full or weighed.
	x *timer[K, V]

	slot   uint16 // timer-wheel bucket + 1; 0 when not scheduled
	queue  uint8  // policy-defined
	mark   uint8  // policy-defined
	state  uint8
	reason Reason
	flags  uint8 // read with value, under seq; see the flag constants
}

// timer is the section of an entry that can expire.
type timer[K comparable, V any] struct {
	// expires is the deadline in nanoseconds on the cache's clock; 0 means
	// the entry never expires.
	expires atomic.Int64
	// Timer-wheel links, owned by the shard's wheel.
	tprev, tnext *Entry[K, V]
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

// sections is a timer section followed by a more section: the tail of a
// full entry, or what a plain entry given a weight other than 1 grows.
type sections[K comparable, V any] struct {
	t timer[K, V]
	m more
}

// Entry flags.
const (
	// flagNegative marks a negative entry: the loader said the key does
	// not exist, and the shard remembers that answer instead of a value.
	flagNegative = 1 << iota
	// flagFull marks an entry made by NewFull: x points into the entry's
	// own allocation, at the t of a sections whose m records weight,
	// lifetime and write time. Set at construction and never changed, so
	// lock-free readers may test it.
	flagFull
	// flagWeighed marks a plain entry that was given a weight other than
	// 1: x points at the t of a separately allocated sections whose m
	// records the weight (only; lifetime and write time stay unrecorded,
	// as for any plain entry). Only the lock holder reads it.
	flagWeighed
)

// Entry states.
const (
	stateNew      = iota // built, not yet in a shard
	stateResident        // in a shard's table
	stateRemoved         // gone from the shard; kept alive only by stray pointers
)

// timed is an entry and its timer section in one allocation.
type timed[K comparable, V any] struct {
	e Entry[K, V]
	t timer[K, V]
}

// full is an entry and both its sections in one allocation.
type full[K comparable, V any] struct {
	e Entry[K, V]
	s sections[K, V]
}

// New returns an entry that is not yet resident anywhere. A plain entry
// (weight 1) records no lifetime and no write time: Write drops them, and
// Load and Written report 0. Use NewFull where they matter, and NewTimed
// for an entry that will likely be given a deadline.
func New[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	if weight != 1 {
		return NewFull(key, value, hash, weight)
	}
	return &Entry[K, V]{key: key, value: value, hash: uint32(hash)}
}

// NewTimed returns a plain entry (see New) with a timer section in the
// same allocation, ready for a deadline.
func NewTimed[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	if weight != 1 {
		return NewFull(key, value, hash, weight)
	}
	t := &timed[K, V]{e: Entry[K, V]{key: key, value: value, hash: uint32(hash)}}
	t.e.x = &t.t
	return &t.e
}

// NewFull returns an entry that records its weight, lifetime and write
// time, and can take a deadline, still in one allocation.
func NewFull[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	f := &full[K, V]{e: Entry[K, V]{key: key, value: value, hash: uint32(hash), flags: flagFull}}
	f.s.m.weight = weight
	f.e.x = &f.s.t
	return &f.e
}

// more returns the entry's more section, or nil if it has none. With
// flagFull or flagWeighed set, x points at the first field of a sections
// value (inside a full allocation, or allocated by grow), so the section
// is found from x without a pointer of its own: that pointer would take
// every entry out of its size class. The caller holds the owning shard's
// lock, unless all it needs is a full entry's section (flagFull and x
// never change after NewFull).
func (e *Entry[K, V]) more() *more {
	if e.flags&(flagFull|flagWeighed) == 0 {
		return nil
	}
	return &(*sections[K, V])(unsafe.Pointer(e.x)).m
}

// fullMore is more for lock-free readers: a full entry's section, nil for
// any other entry.
func (e *Entry[K, V]) fullMore() *more {
	if e.flags&flagFull == 0 {
		return nil
	}
	return &(*sections[K, V])(unsafe.Pointer(e.x)).m
}

// growTimer gives a plain entry without a timer section one of its own.
// The caller holds the owning shard's exclusive lock and has made seq odd,
// so a lock-free reader that sees the new x retries.
func (e *Entry[K, V]) growTimer() {
	if e.x == nil {
		e.x = &timer[K, V]{}
	}
}

// growMore gives a plain entry a more section to hold a weight other than
// 1, moving its timer section, if it has one, next to it. The caller holds
// the owning shard's exclusive lock and has made seq odd. Nothing links to
// a timer section (timer-wheel links point at entries), so it can move.
func (e *Entry[K, V]) growMore() {
	s := &sections[K, V]{}
	if old := e.x; old != nil {
		s.t.expires.Store(old.expires.Load())
		s.t.tprev, s.t.tnext = old.tprev, old.tnext
	}
	e.x = &s.t
	e.flags |= flagWeighed
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
// A plain entry without a timer section given a deadline grows one (see
// Entry).
func (e *Entry[K, V]) Write(v V, weight uint32, written, deadline, ttl int64, negative bool) {
	s := e.lockSeq()
	e.value = v
	e.setWeight(weight)
	if m := e.fullMore(); m != nil {
		m.written, m.ttl = written, ttl
	}
	if negative {
		e.flags |= flagNegative
	} else {
		e.flags &^= flagNegative
	}
	e.setDeadline(deadline)
	e.seq.Store(s + 2)
}

// SetValue replaces the value and weight in place and leaves the rest as
// it was; the caller holds the owning shard's exclusive lock.
func (e *Entry[K, V]) SetValue(v V, weight uint32) {
	s := e.lockSeq()
	e.value = v
	e.setWeight(weight)
	e.seq.Store(s + 2)
}

// lockSeq makes seq odd for a write and returns the even value it had.
// The caller holds the owning shard's exclusive lock, so no other write
// can hold seq; an extension by a reader (see Extend) can, for two stores,
// and the writer waits for it to finish.
func (e *Entry[K, V]) lockSeq() uint32 {
	for spins := 0; ; spins++ {
		if s := e.seq.Load(); s&1 == 0 && e.seq.CompareAndSwap(s, s+1) {
			return s
		}
		backoff(spins)
	}
}

// backoff pauses a loop that waits for a sequence counter to turn even:
// briefly at first, since what it waits for is a few stores long, then by
// yielding, in case the goroutine holding it was descheduled.
func backoff(spins int) {
	if spins >= 4 {
		runtime.Gosched()
	}
}

// setWeight records weight; a plain entry given a weight other than 1
// (a shard always creating entries with NewFull when it weighs them, this
// is a fallback) grows a more section. The caller has made seq odd.
func (e *Entry[K, V]) setWeight(weight uint32) {
	m := e.more()
	if m == nil {
		if weight == 1 {
			return
		}
		e.growMore()
		m = e.more()
	}
	m.weight = weight
}

// setDeadline stores deadline, growing a timer section if the entry needs
// one and has none. The caller has made seq odd.
func (e *Entry[K, V]) setDeadline(deadline int64) {
	if e.x == nil {
		if deadline == 0 {
			return
		}
		e.growTimer()
	}
	e.x.expires.Store(deadline)
}

// Meta describes the version of an entry that [Entry.Load] copied.
type Meta struct {
	// Written is when the value was stored (0 for a plain entry), TTL the
	// lifetime it was stored with (0 for a plain entry) and Deadline when
	// it expires (0: never).
	Written, TTL, Deadline int64
	// Negative marks a cached "no such key" answer.
	Negative bool
	// seq identifies the version, for Extend.
	seq uint32
}

// Load copies the value and its [Meta] consistently, without the shard's
// lock: a value never comes with another write's deadline or lifetime. It
// reads between two loads of the sequence counter and starts again if a
// write or an extension ran meanwhile. It writes no memory. Writes are a
// few stores long, so a retry is rare.
func (e *Entry[K, V]) Load() (v V, m Meta) {
	for spins := 0; ; spins++ {
		s := e.seq.Load()
		if s&1 == 0 {
			v = e.value
			m = Meta{Negative: e.flags&flagNegative != 0, seq: s}
			// x is read once: a write that replaces it meanwhile has
			// made seq odd, and this copy is discarded below.
			if x := e.x; x != nil {
				m.Deadline = x.expires.Load()
				if e.flags&flagFull != 0 {
					more := &(*sections[K, V])(unsafe.Pointer(x)).m
					m.Written, m.TTL = more.written, more.ttl
				}
			}
			if unchanged(&e.seq, s) {
				return v, m
			}
		}
		backoff(spins)
	}
}

// Negative reports whether the entry is a negative entry: a cached "no
// such key" answer whose value is the zero V. The caller holds the owning
// shard's lock.
func (e *Entry[K, V]) Negative() bool { return e.flags&flagNegative != 0 }

// Written returns when the entry's value was last stored, or 0 for a plain
// entry (see New). The caller holds the owning shard's lock.
func (e *Entry[K, V]) Written() int64 {
	if m := e.fullMore(); m != nil {
		return m.written
	}
	return 0
}

// Generation changes with every write of the entry's value, so an
// optimistic writer can tell whether the value it read is still current.
// The caller holds the owning shard's lock, shared or exclusive; an
// extension in progress does not count as a change.
func (e *Entry[K, V]) Generation() uint32 { return e.seq.Load() &^ 1 }

// Hash returns the low 32 bits of the seeded hash of the key (the shard was
// chosen by the top bits). Policies may use it (frequency sketches, ghost
// queues) and tables index by it without hashing the key again.
func (e *Entry[K, V]) Hash() uint64 { return uint64(e.hash) }

// StoredHash returns the part of a key's hash an entry keeps, as Hash
// returns it: anything that looks entries up or counts them by hash
// without the entry at hand goes through it.
func StoredHash(hash uint64) uint64 { return hash & 0xFFFFFFFF }

// Weight returns the entry's weight (1 when the cache counts entries).
// The caller holds the owning shard's lock.
func (e *Entry[K, V]) Weight() uint32 {
	if m := e.more(); m != nil {
		return m.weight
	}
	return 1
}

// Deadline returns the expiry deadline on the cache's clock in nanoseconds,
// or 0 if the entry never expires. Safe without a lock for an entry whose
// timer section cannot be replaced meanwhile (see Entry); Load is the
// lock-free way.
func (e *Entry[K, V]) Deadline() int64 {
	if x := e.x; x != nil {
		return x.expires.Load()
	}
	return 0
}

// SetDeadline moves the deadline; the caller holds the owning shard's
// exclusive lock. The lifetime expire-after-access extends by is the one
// given to Write. An entry without a timer section grows one.
func (e *Entry[K, V]) SetDeadline(deadline int64) {
	if e.x == nil && deadline == 0 {
		return
	}
	s := e.lockSeq()
	e.setDeadline(deadline)
	e.seq.Store(s + 2)
}

// Extend moves the deadline of an expire-after-access entry to now plus
// the lifetime it was written with, if the entry still holds the version m
// describes (as Load returned it), and reports whether it did; false means
// a write, or the expiry of that version, came first, and the caller
// should look the key up again. It needs no lock: it holds the sequence
// counter odd for two stores, so that no write can come between its check
// and its store, and leaves the version as it was. Only full entries
// record a lifetime, and their timer section never moves.
func (e *Entry[K, V]) Extend(m Meta, now int64) bool {
	if m.TTL <= 0 || m.Deadline == 0 {
		return true // nothing to extend: no lifetime, or no deadline
	}
	if !e.seq.CompareAndSwap(m.seq, m.seq+1) {
		return false
	}
	d := int64(math.MaxInt64)
	if now <= math.MaxInt64-m.TTL {
		d = now + m.TTL
	}
	e.x.expires.Store(d)
	e.seq.Store(m.seq)
	return true
}

// ClaimExpired reports whether the entry's deadline is at or before now,
// deciding it atomically with respect to Extend: when it reports true, the
// version is retired, so a read of it still in flight can no longer extend
// it and looks the key up again. The caller holds the owning shard's
// exclusive lock and removes the entry when it reports true.
func (e *Entry[K, V]) ClaimExpired(now int64) bool {
	if !e.ExpiredAt(now) {
		return false // Extend only moves deadlines later
	}
	s := e.lockSeq()
	if !e.ExpiredAt(now) {
		e.seq.Store(s) // an extension landed first
		return false
	}
	e.seq.Store(s + 2)
	return true
}

// ExpiredAt reports whether the entry has a deadline at or before now.
func (e *Entry[K, V]) ExpiredAt(now int64) bool {
	d := e.Deadline()
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
