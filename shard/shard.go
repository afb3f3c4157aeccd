// Package shard implements one partition of a Strata cache: a hash table
// that writers change under the shard's lock and readers probe without it,
// the eviction policy that bounds it, the timer wheel that expires it, and
// the lossy, striped buffers through which reads reach the policy.
//
// A read takes no lock and writes no memory shared with other readers but
// one slot of its stripe (stripe.go); in race-detector builds it takes the
// lock shared (race.go). Writes, expiry and the policy's bookkeeping take
// it exclusively. A shard never calls user code: methods that remove
// entries return them, each with its [entry.Reason], for the caller to
// report after unlocking. Negative entries (cached "no such key" answers)
// read as [FoundNegative], never as values; the shard also keeps the
// [Flight] of every load in progress for its keys (flight.go).
package shard

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/table"
	"github.com/stratacache/cache/internal/timerwheel"
)

// Config describes a shard. The zero value is an unbounded shard whose
// clock never moves; callers always set Clock.
type Config struct {
	// Capacity bounds the total weight of the shard's entries; 0 means
	// unbounded (no policy is kept at all).
	Capacity int64
	// Policy picks the eviction algorithm.
	Policy eviction.Algorithm
	// Group, when not nil, is shared by the policies of all the shards of
	// one cache (see eviction.Group).
	Group *eviction.Group
	// ExpireAfterAccess makes every read hit push an entry's deadline to
	// now plus the lifetime it was written with.
	ExpireAfterAccess bool
	// KeepReplaced makes in-place overwrites report the old value (one
	// allocation per overwrite); set it when someone listens to removals.
	KeepReplaced bool
	// Weighted says entries may weigh other than 1, and TrackWrites that
	// Read must report when each value was written (for refresh-ahead).
	// With either, or with ExpireAfterAccess, entries carry the extra
	// fields for it (see entry.NewFull); otherwise they are smaller.
	Weighted, TrackWrites bool
	// Clock returns the time in nanoseconds; it must not go backwards.
	Clock func() int64
}

// Shard is one partition of the cache. It is safe for concurrent use.
type Shard[K comparable, V any] struct {
	// What readers use; none of it changes after New except through the
	// table's own atomics.
	table             table.Table[K, V]
	stripes           []stripe[K, V]
	active            atomic.Uint32 // stripes in use: a power of two
	clock             func() int64
	bounded           bool // a policy is kept
	expireAfterAccess bool
	full              bool // entries are made with entry.NewFull

	_ [cacheLine]byte // keep writers' fields off the readers' line

	mu     sync.RWMutex
	policy eviction.Policy[K, V] // nil when unbounded
	wheel  *timerwheel.Wheel[K, V]
	cfg    Config
	weight int64
	closed bool

	// flights holds the loads in progress, by key; nil until the first.
	flights map[K]*Flight[V]

	sets    uint64
	removed [entry.NumReasons]uint64

	// timed is true while the wheel holds entries, so the expiry
	// goroutine can skip idle shards without locking them.
	timed atomic.Bool
}

// New returns an empty shard.
func New[K comparable, V any](cfg Config) *Shard[K, V] {
	s := &Shard[K, V]{
		cfg:               cfg,
		clock:             cfg.Clock,
		bounded:           cfg.Capacity > 0,
		expireAfterAccess: cfg.ExpireAfterAccess,
		// An unbounded shard has no policy order to save in a snapshot,
		// so it keeps write times to save its entries oldest first.
		full:    cfg.Weighted || cfg.TrackWrites || cfg.ExpireAfterAccess || cfg.Capacity == 0,
		stripes: make([]stripe[K, V], stripeCount()),
	}
	s.active.Store(1)
	if s.bounded {
		s.policy = eviction.NewMember[K, V](cfg.Policy, cfg.Capacity, cfg.Group)
		if !cfg.Weighted {
			// Counted entries: the bound is also the most the table
			// will ever hold.
			s.table.SetLimit(int(min(cfg.Capacity, math.MaxInt32)))
		}
	}
	return s
}

// Found says what a read found under a key.
type Found uint8

// The possible findings.
const (
	FoundNothing  Found = iota // no entry, or an expired one
	FoundValue                 // a live value
	FoundNegative              // a live negative entry
)

func (f Found) String() string {
	switch f {
	case FoundNothing:
		return "FoundNothing"
	case FoundValue:
		return "FoundValue"
	case FoundNegative:
		return "FoundNegative"
	}
	return "Found(" + strconv.Itoa(int(f)) + ")"
}

// Get returns the live value for key, whose hash is hash, counting the read
// like Read. A negative entry reads as absent.
func (s *Shard[K, V]) Get(key K, hash uint64) (v V, ok bool) {
	v, found, _ := s.Read(key, hash)
	return v, found == FoundValue
}

// Read looks key up, counts a hit, a miss or a negative hit, and tells the
// policy about hits through a read buffer. For a live entry it also
// returns when the entry was written. It takes no lock (see the package
// comment). A negative entry's lifetime is never extended by reads.
func (s *Shard[K, V]) Read(key K, hash uint64) (v V, found Found, written int64) {
	e, v, written, found := s.find(key, hash, s.expireAfterAccess)
	st, n := s.stripe()
	var c uint64
	switch found {
	case FoundNothing:
		st.misses.Add(1)
		return v, found, 0
	case FoundNegative:
		c = st.negHits.Add(1)
	default:
		c = st.hits.Add(1)
	}
	if s.bounded && sampled(n, c) {
		s.record(st, n, e)
	}
	return v, found, written
}

// Peek returns the live value for key without counting it or telling the
// policy.
func (s *Shard[K, V]) Peek(key K, hash uint64) (v V, ok bool) {
	_, v, _, found := s.find(key, hash, false)
	return v, found == FoundValue
}

// find is the lock-free lookup under Read and Peek: the entry for key if
// it is live, with a consistent copy of its value and write time. With
// extend, a live value's expire-after-access deadline moves forward; the
// extension applies to the version copied, or the lookup starts again, so
// the value returned is always the one whose lifetime was extended.
func (s *Shard[K, V]) find(key K, hash uint64, extend bool) (e *entry.Entry[K, V], v V, written int64, found Found) {
	s.readLock()
	defer s.readUnlock()
	for {
		e = s.table.Get(hash, key)
		if e == nil {
			return nil, v, 0, FoundNothing
		}
		var m entry.Meta
		v, m = e.Load()
		if m.Deadline != 0 {
			now := s.clock()
			if m.Deadline <= now {
				var zero V
				return nil, zero, 0, FoundNothing
			}
			if extend && !m.Negative && !e.Extend(m, now) {
				continue // a write or the expiry of this version came first
			}
		}
		if m.Negative {
			return e, v, m.Written, FoundNegative
		}
		return e, v, m.Written, FoundValue
	}
}

// Set stores value under key with the given weight and lifetime (ttl in
// nanoseconds: 0 never expires, negative is already expired). With
// onlyIfAbsent, a live value already stored is kept, counted as a read, and
// returned with found true; a negative entry does not count as a value.
// A store supersedes any load of key in flight.
func (s *Shard[K, V]) Set(key K, hash uint64, value V, weight uint32, ttl int64, onlyIfAbsent bool) (cur V, found bool, removed entry.List[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return cur, false, removed
	}
	now := s.beginWriteLocked(&removed)
	e := s.table.Get(hash, key)
	if onlyIfAbsent && e != nil && !e.Negative() && !e.ExpiredAt(now) {
		if s.policy != nil {
			s.policy.Access(e)
		}
		return e.Value(), true, removed
	}
	s.supersedeLocked(key)
	s.storeLocked(key, hash, value, weight, ttl, now, e, false, &removed)
	return cur, false, removed
}

// Delete removes key, negative entry included, and reports whether a live
// value was removed. It supersedes any load of key in flight.
func (s *Shard[K, V]) Delete(key K, hash uint64) (found bool, removed entry.List[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.beginWriteLocked(&removed)
	s.supersedeLocked(key)
	e := s.table.Get(hash, key)
	if e == nil {
		return false, removed
	}
	reason := reasonAt(e, now, entry.ReasonDeleted)
	negative := e.Negative()
	s.dropLocked(e, reason, &removed)
	return reason == entry.ReasonDeleted && !negative, removed
}

// Version identifies the state of one key at one moment, for
// [Shard.Lookup] and [Shard.Apply].
type Version[K comparable, V any] struct {
	e   *entry.Entry[K, V]
	gen uint32
}

// Lookup returns the live value for key (ok false if absent, expired or
// negative) and the version it was read at, without touching policy or
// counters.
func (s *Shard[K, V]) Lookup(key K, hash uint64) (v V, ok bool, ver Version[K, V]) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.table.Get(hash, key)
	if e == nil {
		return v, false, ver
	}
	ver = Version[K, V]{e, e.Generation()}
	if e.Negative() || e.ExpiredAt(s.cfg.Clock()) {
		return v, false, ver
	}
	return e.Value(), true, ver
}

// Op is what [Shard.Apply] does to a key.
type Op uint8

// The operations.
const (
	OpKeep Op = iota
	OpSet
	OpDelete
)

// Apply performs op on key if the key is still at version ver, and reports
// whether it did; otherwise the caller looks the key up again and retries.
// This lets a compute function run with no lock held. OpSet and OpDelete
// supersede any load of key in flight.
func (s *Shard[K, V]) Apply(key K, hash uint64, ver Version[K, V], op Op, value V, weight uint32, ttl int64) (applied bool, removed entry.List[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.table.Get(hash, key)
	if e != ver.e || (e != nil && e.Generation() != ver.gen) {
		return false, removed
	}
	if s.closed || op == OpKeep {
		return true, removed
	}
	now := s.beginWriteLocked(&removed)
	if s.table.Get(hash, key) != e {
		// Advancing the wheel just expired it: the caller saw it live
		// only if its clock read was earlier; let it look again.
		return false, removed
	}
	s.supersedeLocked(key)
	switch op {
	case OpSet:
		s.storeLocked(key, hash, value, weight, ttl, now, e, false, &removed)
	case OpDelete:
		if e != nil {
			s.dropLocked(e, reasonAt(e, now, entry.ReasonDeleted), &removed)
		}
	}
	return true, removed
}

// Clear removes every entry, reporting each with ReasonCleared (or
// ReasonExpired if its deadline had passed), and supersedes every load in
// flight.
func (s *Shard[K, V]) Clear() (removed entry.List[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked(&removed)
	return removed
}

// Close clears the shard and makes every later write, and every later
// Begin, a no-op.
func (s *Shard[K, V]) Close() (removed entry.List[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.clearLocked(&removed)
	return removed
}

// Expire removes the entries whose deadlines have passed, as far as the
// timer wheel's resolution allows, and applies buffered reads. It returns at
// once, without locking, when nothing is scheduled.
func (s *Shard[K, V]) Expire() (removed entry.List[K, V]) {
	if !s.timed.Load() {
		return removed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beginWriteLocked(&removed)
	return removed
}

// Pair is a key and its value, as copied out by [Shard.AppendLive].
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// AppendLive appends the shard's live entries to buf, holding the lock
// shared while it copies.
func (s *Shard[K, V]) AppendLive(buf []Pair[K, V]) []Pair[K, V] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.cfg.Clock()
	s.table.Range(func(e *entry.Entry[K, V]) bool {
		if !e.Negative() && !e.ExpiredAt(now) {
			buf = append(buf, Pair[K, V]{e.Key(), e.Value()})
		}
		return true
	})
	return buf
}

// Saved is a live entry as copied out by [Shard.AppendSaved], with what a
// snapshot needs to restore it: its remaining lifetime and how long ago it
// was last written.
type Saved[K comparable, V any] struct {
	Key   K
	Value V
	// TTL is the remaining lifetime in nanoseconds, 0 if the entry never
	// expires; it is never negative, since expired entries are skipped.
	TTL int64
	// Age is how many nanoseconds ago the value was last written; 0 when
	// the shard's entries do not record write times (bounded, without
	// TrackWrites, Weighted or ExpireAfterAccess: the policy's order is
	// what a snapshot should keep then).
	Age int64
}

// AppendSaved appends the shard's live entries, negative entries excluded,
// to buf, holding the lock shared while it copies: the copy is the shard at
// one moment. It costs one walk of the table and no allocation beyond buf's growth.
func (s *Shard[K, V]) AppendSaved(buf []Saved[K, V]) []Saved[K, V] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.cfg.Clock()
	s.table.Range(func(e *entry.Entry[K, V]) bool {
		if saved, ok := s.savedLocked(e, now); ok {
			buf = append(buf, saved)
		}
		return true
	})
	return buf
}

// savedLocked copies e as a snapshot saves it, or reports false if a
// snapshot skips it (negative, or expired at now). The caller holds the
// lock, shared or exclusive.
func (s *Shard[K, V]) savedLocked(e *entry.Entry[K, V], now int64) (Saved[K, V], bool) {
	if e.Negative() {
		return Saved[K, V]{}, false
	}
	var ttl int64
	if d := e.Deadline(); d != 0 {
		if d <= now {
			return Saved[K, V]{}, false
		}
		ttl = d - now
	}
	return Saved[K, V]{Key: e.Key(), Value: e.Value(), TTL: ttl, Age: s.ageLocked(e, now)}, true
}

// Counters is a snapshot of a shard's statistics.
type Counters struct {
	Hits, Misses, NegativeHits, Sets uint64
	Removed                          [entry.NumReasons]uint64
	Len                              int
	Weight                           int64
}

// Counters returns the shard's statistics. Len includes expired entries not
// yet removed.
func (s *Shard[K, V]) Counters() Counters {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := Counters{
		Sets:    s.sets,
		Removed: s.removed,
		Len:     s.table.Len(),
		Weight:  s.weight,
	}
	for i := range s.stripes {
		st := &s.stripes[i]
		c.Hits += st.hits.Load()
		c.Misses += st.misses.Load()
		c.NegativeHits += st.negHits.Load()
	}
	return c
}

// Len returns the number of stored entries, expired ones included until
// they are removed.
func (s *Shard[K, V]) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.table.Len()
}

// beginWriteLocked brings the shard up to date before a write: buffered
// reads reach the policy first, so that they count before this write's
// evictions, then the wheel expires what is due. It returns the time, or 0
// when no decision can depend on it: no entry has a deadline (the wheel is
// made with the first one) and entries record no write time. Reading the
// clock costs tens of nanoseconds on some virtual machines, a tenth of a
// write here; storeLocked reads it if the write itself brings a lifetime.
func (s *Shard[K, V]) beginWriteLocked(out *entry.List[K, V]) int64 {
	s.drainReadsLocked()
	if s.wheel == nil && !s.full {
		return 0
	}
	now := s.cfg.Clock()
	if s.wheel != nil {
		s.wheel.Advance(now, func(e *entry.Entry[K, V]) {
			s.dropLocked(e, entry.ReasonExpired, out)
		})
		s.timed.Store(s.wheel.Len() > 0)
	}
	return now
}

func (s *Shard[K, V]) drainReadsLocked() {
	if s.policy != nil {
		for i := range s.stripes {
			s.stripes[i].reads.Drain(s.accessLocked)
		}
	}
}

func (s *Shard[K, V]) accessLocked(e *entry.Entry[K, V]) {
	// The buffer may hold entries removed since they were read.
	if e.Resident() {
		s.policy.Access(e)
	}
}

// storeLocked writes value under key, over e if e is the key's current
// entry (nil if none), then evicts down to capacity. With negative it
// stores a negative entry (value is then the zero V). A value a negative
// entry overwrites is reported as deleted, not replaced; a negative entry
// overwritten by anything is counted but not reported, having no value.
func (s *Shard[K, V]) storeLocked(key K, hash uint64, value V, weight uint32, ttl int64, now int64, e *entry.Entry[K, V], negative bool, out *entry.List[K, V]) {
	s.sets++
	if s.cfg.Capacity > 0 && int64(weight) > s.cfg.Capacity {
		// Storing it would flush the whole shard and then the entry
		// itself; report it as evicted at once instead.
		if e != nil {
			s.dropLocked(e, reasonAt(e, now, entry.ReasonReplaced), out)
		}
		rejected := entry.New(key, value, hash, weight)
		rejected.Write(value, weight, now, 0, 0, negative)
		s.removed[entry.ReasonCapacity]++
		rejected.MarkRemoved(entry.ReasonCapacity)
		out.PushBack(rejected)
		return
	}
	if now == 0 && ttl != 0 {
		now = s.cfg.Clock() // see beginWriteLocked
	}
	deadline := deadlineAt(now, ttl)
	if e != nil {
		why := entry.ReasonReplaced
		if negative {
			why = entry.ReasonDeleted
		}
		reason := reasonAt(e, now, why)
		s.removed[reason]++
		if s.cfg.KeepReplaced && !e.Negative() {
			old := entry.New(key, e.Value(), hash, e.Weight())
			old.MarkRemoved(reason)
			out.PushBack(old)
		}
		old := e.Weight()
		s.weight += int64(weight) - int64(old)
		e.Write(value, weight, now, deadline, ttl, negative)
		if s.policy != nil {
			s.policy.Update(e, old)
		}
	} else {
		switch {
		case s.full:
			e = entry.NewFull(key, value, hash, weight)
		case deadline != 0:
			// Its timer section in the same allocation. An entry
			// made without one grows one if a later write brings a
			// deadline (see entry.Entry).
			e = entry.NewTimed(key, value, hash, weight)
		default:
			e = entry.New(key, value, hash, weight)
		}
		e.Write(value, weight, now, deadline, ttl, negative)
		e.MarkResident()
		s.table.Insert(e)
		s.weight += int64(weight)
		if s.policy != nil {
			s.policy.Add(e)
		}
	}
	if deadline != 0 || e.TimerSlot() != 0 {
		if s.wheel == nil {
			s.wheel = timerwheel.New[K, V](now)
		}
		s.wheel.Schedule(e)
		s.timed.Store(s.wheel.Len() > 0)
	}
	s.evictLocked(now, out)
}

func (s *Shard[K, V]) evictLocked(now int64, out *entry.List[K, V]) {
	for s.cfg.Capacity > 0 && s.weight > s.cfg.Capacity {
		v := s.policy.Evict()
		if v == nil {
			return
		}
		s.removeLocked(v, reasonAt(v, now, entry.ReasonCapacity), out)
	}
}

// dropLocked removes a resident entry that the policy still tracks.
func (s *Shard[K, V]) dropLocked(e *entry.Entry[K, V], reason entry.Reason, out *entry.List[K, V]) {
	if s.policy != nil {
		s.policy.Remove(e)
	}
	s.removeLocked(e, reason, out)
}

// removeLocked removes a resident entry the policy no longer tracks and
// queues it for the eviction hook. The entry's policy links are free now,
// so the queue reuses them and allocates nothing.
func (s *Shard[K, V]) removeLocked(e *entry.Entry[K, V], reason entry.Reason, out *entry.List[K, V]) {
	s.table.Delete(e)
	s.weight -= int64(e.Weight())
	if s.wheel != nil {
		s.wheel.Remove(e)
	}
	e.MarkRemoved(reason)
	s.removed[reason]++
	out.PushBack(e)
}

func (s *Shard[K, V]) clearLocked(out *entry.List[K, V]) {
	now := s.cfg.Clock()
	s.drainReadsLocked()
	s.supersedeAllLocked()
	s.table.Range(func(e *entry.Entry[K, V]) bool {
		if s.wheel != nil {
			s.wheel.Remove(e)
		}
		reason := reasonAt(e, now, entry.ReasonCleared)
		e.MarkRemoved(reason)
		s.removed[reason]++
		out.PushBack(e)
		return true
	})
	s.table.Clear()
	s.weight = 0
	s.wheel = nil
	s.timed.Store(false)
	if s.policy != nil {
		// Resetting the policy drops its links to the removed entries in
		// one step, and reuses its memory.
		s.policy.Reset()
	}
}

// ageLocked is how long ago e's value was written, or 0 if the shard's
// entries do not record write times (see Saved.Age).
func (s *Shard[K, V]) ageLocked(e *entry.Entry[K, V], now int64) int64 {
	if !s.full {
		return 0
	}
	return max(now-e.Written(), 0)
}

// reasonAt is why e leaves now: ReasonExpired once its deadline has
// passed, whatever removes it, otherwise the given reason.
func reasonAt[K comparable, V any](e *entry.Entry[K, V], now int64, otherwise entry.Reason) entry.Reason {
	if e.ExpiredAt(now) {
		return entry.ReasonExpired
	}
	return otherwise
}

// deadlineAt turns a lifetime into a deadline: 0 for none, and never 0 for
// a real one (0 is the "no deadline" marker). Lifetimes too long to
// represent never expire.
func deadlineAt(now, ttl int64) int64 {
	switch {
	case ttl == 0:
		return 0
	case ttl > 0 && now > math.MaxInt64-ttl:
		return 0
	case now+ttl == 0:
		return -1
	}
	return now + ttl
}
