// Package shard implements one partition of a Strata cache: a hash table
// that writers change under the shard's data lock and readers probe
// without it, the eviction policy that bounds it, the timer wheel that
// expires it, and the buffers through which reads and writes reach the
// policy. It is internal to the cache: its API carries no compatibility
// promise, and exports only what the cache itself uses.
//
// A read takes no lock and writes no memory shared with other readers but
// one slot of its stripe (stripe.go); in race-detector builds it takes the
// data lock (race.go). A write changes the table and the entry under the
// data lock, so every later read sees it, and leaves its policy
// bookkeeping in a write buffer; an overwrite that changes only a
// resident entry's value needs neither, and claims the entry instead
// (see overwrite in write.go); whoever holds the policy lock applies
// both buffers, evicts and expires (maintain.go). A shard never calls user
// code: methods that remove entries return them, each with its
// [entry.Reason], for the caller to report after unlocking. Negative
// entries (cached "no such key" answers) read as [FoundNegative], never as
// values; the shard also keeps the [Flight] of every load in progress for
// its keys (flight.go).
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
	// Policy picks the eviction algorithm, unless the shard is made by
	// NewWithPolicy.
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
	// ReadExpiry says reads may set entries' deadlines (see Retime):
	// every value entry then has a timer section and a deadline, Never if
	// it does not expire.
	ReadExpiry bool
	// Readers, when not nil, is shared by the shards of one cache: once
	// readers contend on one of them, every shard spreads its readers
	// over more stripes (see Shard.record).
	Readers *Readers
	// Weighted says entries may weigh other than 1, and TrackWrites that
	// Read must report when each value was written (for refresh-ahead).
	// With either, or with ExpireAfterAccess or ReadExpiry, entries carry the extra
	// fields for it (see entry.NewFull); otherwise they are smaller.
	Weighted, TrackWrites bool
	// Clock returns the time in nanoseconds; it must not go backwards.
	Clock func() int64
}

// Shard is one partition of the cache. It is safe for concurrent use.
//
// It has two locks. mu, the data lock, guards the table and the entries'
// values: a write holds it only to change them and to append its
// bookkeeping to the write buffer. policyMu, the policy lock, guards the
// eviction policy and the timer wheel; whoever holds it applies the
// buffered reads and writes in batches, then evicts and expires (see
// maintain.go). Writers only try it, so no writer waits for policy work
// another goroutine is doing, except to keep the bound (see roomLocked).
// Lock order: policyMu, then mu.
type Shard[K comparable, V any] struct {
	// What readers use; none of it changes after New except through the
	// table's own atomics.
	table             table.Table[K, V]
	stripes           []stripe[K, V]
	active            atomic.Uint32 // stripes in use: a power of two
	clock             func() int64
	bounded           bool // a policy is kept
	expireAfterAccess bool
	readExpiry        bool // values get Never rather than no deadline
	full              bool // entries are made with entry.NewFull
	keepReplaced      bool
	weighted          bool
	readers           *Readers // shared with the cache's other shards; may be nil

	_ [cacheLine]byte // keep writers' fields off the readers' line

	mu        sync.Mutex
	capacity  int64 // the bound in weight units; 0: unbounded
	slack     int64 // how far a write may leave the shard over capacity
	weight    int64 // of the entries in the table
	deadlines bool  // some entry was given a deadline since the last clear
	closed    bool
	writes    []record[K, V]   // the write buffer (see maintain.go)
	flights   map[K]*Flight[V] // loads in progress, by key; nil until the first
	sets      uint64
	waited    uint64 // writes that waited for the policy lock
	removed   [entry.NumReasons]uint64

	// pending is len(writes), readable without mu; timed is true while
	// the wheel holds entries. Both let maintenance skip idle shards.
	pending atomic.Int32
	timed   atomic.Bool
	// flying is len(flights) and limit the most an entry may weigh (the
	// capacity, or no limit), for overwrites that do without mu.
	flying atomic.Int32
	limit  atomic.Int64

	// drain is drainIdle, drainQueued while a drain of the read buffers
	// waits for its goroutine (see drainLater), or drainShut once the
	// shard is closed; drainers counts those goroutines, for Close.
	drain    atomic.Int32
	drainMu  sync.Mutex // guards the changes of drain that start or shut drains
	drainers sync.WaitGroup
	// drains counts writers' drains (see maintain), for a Get that filled
	// its buffer to tell whether writers will drain it (see record).
	drains atomic.Uint32

	policyMu sync.Mutex
	policy   eviction.Policy[K, V] // nil when unbounded
	custom   bool                  // policy is a user's (eviction.NewCustom): it may break
	wheel    *timerwheel.Wheel[K, V]
	spare    []record[K, V]       // the other write buffer, being applied
	due      []*entry.Entry[K, V] // entries the wheel found due
	// brokenPanic is a user policy's panic that a walk met (see
	// replaceBrokenLocked), kept until a write can hand it to its caller.
	brokenPanic any
}

// New returns an empty shard.
func New[K comparable, V any](cfg Config) *Shard[K, V] {
	return NewWithPolicy[K, V](cfg, nil)
}

// NewWithPolicy is New with a policy of the caller's making (a user's,
// see eviction.NewCustom) in place of cfg.Policy's; a nil p means
// cfg.Policy's. An unbounded shard keeps no policy and ignores p.
func NewWithPolicy[K comparable, V any](cfg Config, p eviction.Policy[K, V]) *Shard[K, V] {
	s := &Shard[K, V]{
		clock:             cfg.Clock,
		bounded:           cfg.Capacity > 0,
		expireAfterAccess: cfg.ExpireAfterAccess,
		readExpiry:        cfg.ReadExpiry,
		keepReplaced:      cfg.KeepReplaced,
		weighted:          cfg.Weighted,
		readers:           cfg.Readers,
		// An unbounded shard has no policy order to save in a snapshot,
		// so it keeps write times to save its entries oldest first.
		full:    cfg.Weighted || cfg.TrackWrites || cfg.ExpireAfterAccess || cfg.ReadExpiry || cfg.Capacity == 0,
		stripes: make([]stripe[K, V], stripeCount()),
	}
	s.active.Store(1)
	s.limit.Store(math.MaxInt64)
	if s.bounded {
		s.policy, s.custom = p, p != nil
		if p == nil {
			s.policy = eviction.NewMember[K, V](cfg.Policy, cfg.Capacity, cfg.Group)
		}
		s.setCapacityLocked(cfg.Capacity, cfg.Weighted)
	}
	return s
}

// maxSlack bounds, for a shard that counts entries, how many it may hold
// beyond its share while writes' bookkeeping waits to be applied: the
// slack is a sixteenth of the share, at most maxSlack entries. A shard
// whose share is below 16 never goes over it.
const maxSlack = 64

// setCapacityLocked sets the bound and the slack that goes with it. The
// caller holds mu, or owns the shard still.
func (s *Shard[K, V]) setCapacityLocked(capacity int64, weighted bool) {
	s.capacity = capacity
	s.limit.Store(capacity)
	s.slack = capacity / 16
	if !weighted {
		s.slack = min(s.slack, maxSlack)
		// Counted entries: the bound and its slack are also the most
		// the table will ever hold.
		s.table.SetLimit(int(min(capacity+s.slack, math.MaxInt32)))
	}
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
		c = s.countHit(st, n)
	}
	if s.bounded && sampled(n, c) {
		s.record(st, n, e, true)
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
	for {
		e = s.table.Get(hash, key)
		if e == nil {
			break
		}
		var m entry.Meta
		v, m = e.Load()
		if m.Deadline != 0 {
			now := s.clock()
			if m.Deadline <= now {
				var zero V
				e, v = nil, zero
				break
			}
			if extend && !m.Negative && !e.Extend(m, now) {
				continue // a write or the expiry of this version came first
			}
		}
		written, found = m.Written, FoundValue
		if m.Negative {
			found = FoundNegative
		}
		break
	}
	s.readUnlock()
	return e, v, written, found
}

// Hit is one version of a live value as [Shard.ReadHit] found it, for
// [Shard.Retime].
type Hit[K comparable, V any] struct {
	e   *entry.Entry[K, V]
	m   entry.Meta
	now int64
}

// Remaining is how long the value had left when it was read, in
// nanoseconds, or -1 if it never expires.
func (h Hit[K, V]) Remaining() int64 {
	if h.m.Deadline == 0 || h.m.Deadline == entry.Never {
		return -1
	}
	return h.m.Deadline - h.now
}

// ReadHit is Read for a caller that needs the version read: to set its
// lifetime (ReadExpiry, see Retime) or to know what it has left. With
// count false nothing is counted or told to the policy, for a caller that
// looks again after a Retime that failed. An expire-after-access hit is
// extended as Read extends it, and Remaining then counts from the
// extension.
func (s *Shard[K, V]) ReadHit(key K, hash uint64, count bool) (v V, found Found, written int64, hit Hit[K, V]) {
	s.readLock()
	e := s.table.Get(hash, key)
	for e != nil {
		v, hit.m = e.Load()
		hit.now = s.clock()
		switch {
		case hit.m.Deadline != 0 && hit.m.Deadline <= hit.now:
			var zero V
			v, e = zero, nil
		case hit.m.Negative:
			found = FoundNegative
		case s.expireAfterAccess && !e.Extend(hit.m, hit.now):
			continue // a write or the expiry of this version came first
		default:
			if s.expireAfterAccess && hit.m.TTL > 0 && hit.m.Deadline != 0 {
				hit.m.Deadline = hit.now + hit.m.TTL
			}
			found, hit.e, written = FoundValue, e, hit.m.Written
		}
		break
	}
	s.readUnlock()
	if !count {
		return v, found, written, hit
	}
	st, n := s.stripe()
	var c uint64
	switch found {
	case FoundNothing:
		st.misses.Add(1)
		return v, found, 0, hit
	case FoundNegative:
		c = st.negHits.Add(1)
	default:
		c = s.countHit(st, n)
	}
	if s.bounded && sampled(n, c) {
		s.record(st, n, e, true)
	}
	return v, found, written, hit
}

// Retime gives the value hit found the lifetime ttl from when it was read
// (in nanoseconds: negative expires it, and the value is not returned
// again), if the key still holds that version, and reports whether it
// did; false means a write or the version's expiry came first, and the
// caller reads again and computes the lifetime afresh. It takes no lock,
// except to re-file an entry whose deadline moved more than a wheel tick
// earlier, so that its memory is reclaimed on time too.
func (s *Shard[K, V]) Retime(hit Hit[K, V], ttl int64) bool {
	d := deadlineAt(hit.now, ttl)
	if ttl <= 0 {
		d = min(hit.now, d) // expired now; deadlineAt keeps it nonzero
		if d == 0 {
			d = -1
		}
	} else if d == 0 {
		d = entry.Never // too far to represent
	}
	if !hit.e.Retime(hit.m, d) {
		return false
	}
	if d < hit.m.Deadline-wheelTick {
		s.mu.Lock()
		// Buffered like a write's bookkeeping and applied by the next
		// maintenance; the wheel would otherwise find the entry only
		// when the bucket of its old deadline comes round. A full buffer
		// is left to writers: the entry is then reclaimed at that time.
		if !s.closed && hit.e.Resident() && len(s.writes) < writeBufferSize {
			s.writes = append(s.writes, record[K, V]{hit.e, opRetime, 0})
			s.pending.Store(int32(len(s.writes)))
		}
		s.mu.Unlock()
	}
	return true
}

// wheelTick is about the timer wheel's finest resolution: a deadline moved
// earlier by less is left where the wheel filed it.
const wheelTick = 1 << 30

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
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.table.Get(hash, key)
	if e == nil {
		return v, false, ver
	}
	// Load, not Value: an overwrite may be running without the lock.
	v, m := e.Load()
	ver = Version[K, V]{e, m.Version()}
	if m.Negative || (m.Deadline != 0 && m.Deadline <= s.clock()) {
		return *new(V), false, ver
	}
	return v, true, ver
}

// Pair is a key and its value, as copied out by [Shard.AppendLive].
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// AppendLive appends the shard's live entries to buf, holding the lock
// shared while it copies.
func (s *Shard[K, V]) AppendLive(buf []Pair[K, V]) []Pair[K, V] {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	s.table.Range(func(e *entry.Entry[K, V]) bool {
		if v, m := e.Load(); !m.Negative && (m.Deadline == 0 || m.Deadline > now) {
			buf = append(buf, Pair[K, V]{e.Key(), v})
		}
		return true
	})
	return buf
}

// savedEntry is a live entry as copied out by appendSaved, with what a
// snapshot needs to restore it: its remaining lifetime and how long ago it
// was last written.
type savedEntry[K comparable, V any] struct {
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

// appendSaved appends the shard's live entries, negative entries excluded,
// to buf, holding the data lock while it copies: the copy is the shard at
// one moment. It costs one walk of the table and no allocation beyond
// buf's growth.
func (s *Shard[K, V]) appendSaved(buf []savedEntry[K, V]) []savedEntry[K, V] {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
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
func (s *Shard[K, V]) savedLocked(e *entry.Entry[K, V], now int64) (savedEntry[K, V], bool) {
	// Load, not Value: an overwrite may be running without the lock.
	v, m := e.Load()
	if m.Negative {
		return savedEntry[K, V]{}, false
	}
	var ttl int64
	if d := m.Deadline; d != 0 && d != entry.Never {
		if d <= now {
			return savedEntry[K, V]{}, false
		}
		ttl = d - now
	}
	var age int64
	if s.full {
		age = max(now-m.Written, 0)
	}
	return savedEntry[K, V]{Key: e.Key(), Value: v, TTL: ttl, Age: age}, true
}

// Counters is a snapshot of a shard's statistics.
type Counters struct {
	Hits, Misses, NegativeHits, Sets uint64
	Removed                          [entry.NumReasons]uint64
	Len                              int
	Weight                           int64
	// WaitedWrites counts the writes that found the write buffer full or
	// the slack used up, and so waited for the policy lock (roomLocked).
	WaitedWrites uint64
}

// Counters returns the shard's statistics. Len includes expired entries not
// yet removed.
func (s *Shard[K, V]) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counters{
		Sets:    s.sets,
		Removed: s.removed,
		Len:     s.table.Len(),
		Weight:  s.weight,

		WaitedWrites: s.waited,
	}
	for i := range s.stripes {
		st := &s.stripes[i]
		w := st.overwrites.Load()
		c.Sets += w
		c.Removed[entry.ReasonReplaced] += w
		c.Hits += st.hits.Load()
		c.Misses += st.misses.Load()
		c.NegativeHits += st.negHits.Load()
	}
	return c
}

// Len returns the number of stored entries, expired ones included until
// they are removed.
func (s *Shard[K, V]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.table.Len()
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
