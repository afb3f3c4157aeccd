// Package entry defines the node a Strata shard stores for each key, and the
// intrusive list that threads nodes through eviction queues and timer-wheel
// buckets. It is internal to the cache: its API carries no compatibility
// promise, and exports only what the cache's other packages use. A policy
// written outside Strata sees an entry as an eviction.Handle.
//
// An Entry is owned by exactly one shard. Its value, and what describes the
// value, are written only by a goroutine holding a claim on the entry
// ([Entry.Claim]): the claim makes the entry's sequence counter odd until
// [Entry.Commit] or [Entry.Abandon], so writers of one entry exclude each
// other whether or not they hold the shard's lock, and a lock-free copy by
// [Entry.Load] that overlapped a write is retried. The shard removes an
// entry under a claim too ([Entry.Retire]), so a write that claims it
// afterwards knows it is no longer the key's. Readers take no lock: the
// key and hash never change and the deadline is atomic. Entries are
// never recycled, so a pointer that outlives its entry's removal (in a read
// buffer, say) stays safe to dereference: it reports [Entry.Resident] false.
package entry

import (
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/stratacache/cache/internal/seqlock"
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

	// x is the timer section, nil until the entry has one. Set once, by
	// a writer while seq is odd (see growTimer), and never changed again;
	// atomic because the policy side reads it under the other lock.
	x atomic.Pointer[timer[K, V]]

	// Owned by the shard's policy side (its policy lock): timer-wheel
	// bucket, policy fields, and whether the policy tracks the entry.
	slot     uint16 // timer-wheel bucket + 1; 0 when not scheduled
	queue    uint8  // policy-defined
	mark     uint8  // policy-defined
	inPolicy bool

	// full is true for an entry made by NewFull: x points into the
	// entry's own allocation, at the t of a sections whose m records
	// weight, lifetime and write time. Set at construction and never
	// changed, so any goroutine may test it; it has a byte of its own
	// because flags changes under the other lock.
	full bool

	// Owned by the shard's data side (its data lock).
	state uint8 // stateNew, stateResident, or stateRemoved plus the Reason
	flags uint8 // read with value, under seq; see the flag constants
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
	// weight is the entry's weight as the data side stored it, policy
	// its weight as the policy was last told (the two differ while a
	// write's bookkeeping waits in the shard's write buffer).
	weight, policy uint32
}

// sections is a timer section followed by a more section: the tail of a
// full entry.
type sections[K comparable, V any] struct {
	t timer[K, V]
	m more
}

// Entry flags.
const (
	// flagNegative marks a negative entry: the loader said the key does
	// not exist, and the shard remembers that answer instead of a value.
	flagNegative = 1 << iota
)

// Entry states. A removed entry's state is stateRemoved plus the Reason it
// left for; it is kept alive only by stray pointers.
const (
	stateNew      = iota // built, not yet in a shard
	stateResident        // in a shard's table
	stateRemoved
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
	t.e.x.Store(&t.t)
	return &t.e
}

// NewFull returns an entry that records its weight, lifetime and write
// time, and can take a deadline, still in one allocation.
func NewFull[K comparable, V any](key K, value V, hash uint64, weight uint32) *Entry[K, V] {
	f := &full[K, V]{e: Entry[K, V]{key: key, value: value, hash: uint32(hash), full: true}}
	f.s.m.weight, f.s.m.policy = weight, weight
	f.e.x.Store(&f.s.t)
	return &f.e
}

// more returns a full entry's more section, or nil for any other entry.
// x points at the first field of the sections value inside the full
// allocation, so the section is found from x without a pointer of its
// own: that pointer would take every entry out of its size class. full
// and x never change after NewFull, so any goroutine may call it.
func (e *Entry[K, V]) more() *more {
	if !e.full {
		return nil
	}
	return &(*sections[K, V])(unsafe.Pointer(e.x.Load())).m
}

// growTimer gives a plain entry without a timer section one of its own.
// The caller holds the owning shard's data lock and has made seq odd, so
// a lock-free reader that sees the new x retries.
func (e *Entry[K, V]) growTimer() *timer[K, V] {
	x := e.x.Load()
	if x == nil {
		x = &timer[K, V]{}
		e.x.Store(x)
	}
	return x
}

// Key returns the entry's key.
func (e *Entry[K, V]) Key() K { return e.key }

// Value returns the entry's value. The caller must know that no write of
// the entry can run meanwhile: it holds a claim on it (see Claim), or the
// entry has been removed. Anyone else uses Load.
func (e *Entry[K, V]) Value() V { return e.value }

// Write stores a new value with its weight, write time, lifetime and
// deadline, and marks the entry negative or not (a negative entry caches a
// "no such key" answer; its value is the zero V). It is Claim followed by
// Commit. Lock-free readers see all of it or none. A plain entry without a
// timer section given a deadline grows one (see Entry).
func (e *Entry[K, V]) Write(v V, weight uint32, written, deadline, ttl int64, negative bool) {
	e.Commit(e.Claim(), v, weight, written, deadline, ttl, negative)
}

// Claim gives the caller exclusive right to write the entry, and returns
// the version it holds: even, as Load and Lookup report versions. Writers
// of one entry exclude each other through it, whether or not they hold
// the shard's data lock (a shard overwrites resident entries without that
// lock); the claim lasts a few stores and is ended by Commit, Abandon or
// Retire. Readers copying the entry meanwhile retry (see Load), and an
// extension by a reader (see Extend) is waited for.
func (e *Entry[K, V]) Claim() uint32 {
	for spins := 0; ; spins++ {
		if s := e.seq.Load(); s&1 == 0 && e.seq.CompareAndSwap(s, s+1) {
			return s
		}
		backoff(spins)
	}
}

// Abandon ends a claim that wrote nothing, leaving the version as it was.
func (e *Entry[K, V]) Abandon(version uint32) { e.seq.Store(version) }

// Commit is Write for a caller holding the claim that returned version; it
// ends the claim with a new version.
func (e *Entry[K, V]) Commit(version uint32, v V, weight uint32, written, deadline, ttl int64, negative bool) {
	e.value = v
	e.setWeight(weight)
	if m := e.more(); m != nil {
		m.written, m.ttl = written, ttl
	}
	if negative {
		e.flags |= flagNegative
	} else {
		e.flags &^= flagNegative
	}
	e.setDeadline(deadline)
	e.seq.Store(version + 2)
}

// backoff pauses a loop that waits for a sequence counter to turn even:
// briefly at first, since what it waits for is a few stores long, then by
// yielding, in case the goroutine holding it was descheduled.
func backoff(spins int) {
	if spins >= 4 {
		runtime.Gosched()
	}
}

// setWeight records weight. Only full entries have a weight other than 1
// (shards that weigh entries make them with NewFull). The caller has made
// seq odd.
func (e *Entry[K, V]) setWeight(weight uint32) {
	if m := e.more(); m != nil {
		m.weight = weight
	} else if weight != 1 {
		panic("entry: a weight other than 1 needs an entry made by NewFull")
	}
}

// setDeadline stores deadline, growing a timer section if the entry needs
// one and has none. The caller has made seq odd.
func (e *Entry[K, V]) setDeadline(deadline int64) {
	x := e.x.Load()
	if x == nil {
		if deadline == 0 {
			return
		}
		x = e.growTimer()
	}
	x.expires.Store(deadline)
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
			if x := e.x.Load(); x != nil {
				m.Deadline = x.expires.Load()
				if e.full {
					more := &(*sections[K, V])(unsafe.Pointer(x)).m
					m.Written, m.TTL = more.written, more.ttl
				}
			}
			if seqlock.Unchanged(&e.seq, s) {
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
	if m := e.more(); m != nil {
		return m.written
	}
	return 0
}

// Version identifies the version Load copied: it changes with every write
// of the entry's value and with its removal, never with an extension. A
// writer that claims the entry later (see Claim) compares it with the
// version the claim returns to know whether the value it read is still
// current.
func (m Meta) Version() uint32 { return m.seq }

// Hash returns the low 32 bits of the seeded hash of the key (the shard was
// chosen by the top bits). Policies may use it (frequency sketches, ghost
// queues) and tables index by it without hashing the key again.
func (e *Entry[K, V]) Hash() uint64 { return uint64(e.hash) }

// StoredHash returns the part of a key's hash an entry keeps, as Hash
// returns it: anything that looks entries up or counts them by hash
// without the entry at hand goes through it.
func StoredHash(hash uint64) uint64 { return hash & 0xFFFFFFFF }

// Weight returns the entry's weight as its policy knows it (1 when the
// cache counts entries): what was given to NewFull, then to SetWeight.
// Policies read it; the caller holds the shard's policy lock.
func (e *Entry[K, V]) Weight() uint32 {
	if m := e.more(); m != nil {
		return m.policy
	}
	return 1
}

// SetWeight records the weight the policy is about to be told of, as the
// shard applies a write's bookkeeping; the caller holds the policy lock.
func (e *Entry[K, V]) SetWeight(w uint32) {
	if m := e.more(); m != nil {
		m.policy = w
	}
}

// StoredWeight returns the weight of the value stored now, as the last
// Write gave it; the caller holds the shard's data lock.
func (e *Entry[K, V]) StoredWeight() uint32 {
	if m := e.more(); m != nil {
		return m.weight
	}
	return 1
}

// InPolicy reports whether the shard's policy tracks the entry; the
// caller holds the policy lock. Buffered reads and writes name entries the
// policy may not track yet, or no longer.
func (e *Entry[K, V]) InPolicy() bool { return e.inPolicy }

// SetInPolicy records whether the policy tracks the entry; the caller
// holds the policy lock.
func (e *Entry[K, V]) SetInPolicy(in bool) { e.inPolicy = in }

// Deadline returns the expiry deadline on the cache's clock in nanoseconds,
// or 0 if the entry never expires. Safe under either of the shard's locks
// or none; Load is the way to read it together with the value.
func (e *Entry[K, V]) Deadline() int64 {
	if x := e.x.Load(); x != nil {
		return x.expires.Load()
	}
	return 0
}

// SetDeadline moves the deadline; the caller holds the owning shard's
// exclusive lock. The lifetime expire-after-access extends by is the one
// given to Write. An entry without a timer section grows one.
func (e *Entry[K, V]) SetDeadline(deadline int64) {
	if e.x.Load() == nil && deadline == 0 {
		return
	}
	s := e.Claim()
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
	e.x.Load().expires.Store(d)
	e.seq.Store(m.seq)
	return true
}

// Never is the deadline of an entry that has a timer section but does not
// expire: it is later than any clock reading, and a snapshot saves it as no
// deadline at all.
const Never = int64(math.MaxInt64)

// Retime sets the deadline of the version m describes (as Load returned
// it) to deadline, earlier or later, and reports whether it did; false
// means a write, or the expiry of that version, came first, and the caller
// should look the key up again. Like Extend it needs no lock, and a
// lifetime computed from one version's value can never land on another.
// The entry must have a timer section (shards that retime entries make
// them with NewFull).
func (e *Entry[K, V]) Retime(m Meta, deadline int64) bool {
	if !e.seq.CompareAndSwap(m.seq, m.seq+1) {
		return false
	}
	e.x.Load().expires.Store(deadline)
	e.seq.Store(m.seq)
	return true
}

// Retire marks a resident entry removed, for ReasonExpired if its
// deadline is at or before now and for otherwise if not, and returns the
// reason. The caller holds the claim that returned version (see Claim),
// which Retire ends with a new version: an overwrite or an extension that
// comes after it finds the entry removed, or its version gone. The caller
// holds the owning shard's data lock and takes the entry out of the table.
func (e *Entry[K, V]) Retire(version uint32, now int64, otherwise Reason) Reason {
	reason := otherwise
	if e.ExpiredAt(now) {
		reason = ReasonExpired
	}
	e.state = stateRemoved + uint8(reason)
	e.seq.Store(version + 2)
	return reason
}

// RetireExpired retires the entry for ReasonExpired (see Retire) if its
// deadline is at or before now, and reports whether it did; otherwise a
// write or an extension moved the deadline, and the entry stays. The
// caller holds the owning shard's data lock and takes the entry out of the
// table when it reports true.
func (e *Entry[K, V]) RetireExpired(now int64) bool {
	if !e.ExpiredAt(now) {
		// Writes and extensions that bypass the data lock only move
		// deadlines later; a Retime that moves one earlier after this
		// check is seen by reads, and by the next tick.
		return false
	}
	s := e.Claim()
	if !e.ExpiredAt(now) {
		e.Abandon(s) // an extension or an overwrite landed first
		return false
	}
	e.Retire(s, now, ReasonExpired)
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
// never sees non-resident entries; shards use it to drop stale read
// records, and an overwrite holding a claim (see Claim) to know whether
// its entry is still the key's.
func (e *Entry[K, V]) Resident() bool { return e.state == stateResident }

// MarkResident records that the entry was stored in its shard's table.
func (e *Entry[K, V]) MarkResident() { e.state = stateResident }

// MarkRemoved records that an entry no other goroutine can see left its
// shard, and why: a copy made to report a removal, or a value refused at
// once. A resident entry is removed with Retire.
func (e *Entry[K, V]) MarkRemoved(reason Reason) {
	e.state = stateRemoved + uint8(reason)
}

// Reason returns the value given to MarkRemoved.
func (e *Entry[K, V]) Reason() Reason {
	if e.state < stateRemoved {
		return 0
	}
	return Reason(e.state - stateRemoved)
}

// TimerSlot returns the timer-wheel bucket the entry is scheduled in plus
// one, or 0 if it is not scheduled.
func (e *Entry[K, V]) TimerSlot() uint16 { return e.slot }

// SetTimerSlot records the entry's timer-wheel bucket (plus one; 0 = none).
func (e *Entry[K, V]) SetTimerSlot(s uint16) { e.slot = s }
