package bytecache

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/internal/slab"
)

// StoreOptions configures a Store. The zero value is a 64 MiB store
// without expiry on the system clock.
type StoreOptions struct {
	// MaxBytes bounds the bytes the entries take in the slabs: each
	// entry's key and value, plus EntryOverhead (and 8 more with a
	// deadline). The index and the ghost of evicted hashes add 16 to 32
	// bytes per entry on top, outside the bound. 0 means DefaultMaxBytes.
	MaxBytes int64

	// Shards is the number of partitions, each with its own lock, slabs
	// and policy: a power of two. 0 picks one shard per MiB of MaxBytes,
	// at least 1 and at most 256. An entry larger than a quarter of a
	// shard's main ring (which takes 90% of the shard's bytes), or than
	// 1 MiB, is not stored (see MaxEntrySize).
	Shards int

	// TTL is the lifetime of an entry written by Set; 0 means no expiry.
	TTL time.Duration

	// OnEvict, if set, is called for every entry that leaves the store,
	// with the reason, after the shard's lock is released, on the
	// goroutine whose call removed it. key and value are copies that are
	// valid only until OnEvict returns. Without OnEvict, removals cost
	// no copy.
	OnEvict func(key string, value []byte, reason cache.Reason)

	// Clock supplies the time for expiry; nil means the system clock.
	Clock cache.Clock
}

// DefaultMaxBytes is the size of a store whose MaxBytes is 0.
const DefaultMaxBytes = 64 << 20

// MinShardBytes is the least MaxBytes per shard a store accepts.
const MinShardBytes = slab.MinShardBytes

// MaxKeyLen is the longest key a store keeps: a write of a longer key
// stores nothing.
const MaxKeyLen = slab.MaxKeyLen

// EntryOverhead is what an entry takes in a slab beside its key and value
// (8 bytes more if it has a deadline).
const EntryOverhead = 7

const (
	maxShards     = 256
	bytesPerShard = 1 << 20
)

// Store is a GC-free byte cache: keys and values live in large byte
// slabs, indexed without a Go pointer per entry, so however many entries
// it holds the garbage collector has a few hundred pointers to follow.
// It is bounded by bytes, evicts with S3-FIFO, and expires entries on
// time. It is safe for concurrent use.
//
// Every value it returns is a copy (Get) or appended to your buffer
// (AppendGet): nothing it returns aliases its slabs, so later writes never
// change a value you hold.
type Store struct {
	shards    []*slab.Shard
	mask      uint64
	seed      maphash.Seed
	ttl       time.Duration
	clock     cache.Clock
	onEvict   func(key string, value []byte, reason cache.Reason)
	deadlines atomic.Bool // set once any entry has had a deadline
	closed    atomic.Bool
	removals  sync.Pool // *slab.Removals, when onEvict is set
	reads     readCounts
}

// NewStore returns an empty store, or an error naming the offending field
// of opts.
func NewStore(opts StoreOptions) (*Store, error) {
	maxBytes, n, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	s := &Store{
		shards:  make([]*slab.Shard, n),
		mask:    uint64(n - 1),
		seed:    maphash.MakeSeed(),
		ttl:     opts.TTL,
		clock:   opts.Clock,
		onEvict: opts.OnEvict,
	}
	if s.ttl > 0 {
		s.deadlines.Store(true)
	}
	for i := range s.shards {
		// Spread the remainder so the shards add up to maxBytes.
		b := maxBytes / int64(n)
		if int64(i) < maxBytes%int64(n) {
			b++
		}
		s.shards[i] = slab.NewShard(int(b), s.seed)
	}
	s.removals.New = func() any { return new(slab.Removals) }
	return s, nil
}

func autoShards(maxBytes int64) int {
	n := maxBytes / bytesPerShard
	if n < 1 {
		return 1
	}
	return min(1<<(bits.Len64(uint64(n))-1), maxShards)
}

func optionError(field, format string, args ...any) error {
	return fmt.Errorf("bytecache: %s %s: %w", field, fmt.Sprintf(format, args...), cache.ErrInvalidOptions)
}

// resolve validates o and returns its bound and shard count with the
// defaults applied.
func (o *StoreOptions) resolve() (maxBytes int64, shards int, err error) {
	maxBytes, shards = o.MaxBytes, o.Shards
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	if shards == 0 {
		shards = autoShards(maxBytes)
	}
	switch {
	case o.MaxBytes < 0:
		err = optionError("MaxBytes", "is %d; it must be 0 (default) or positive", o.MaxBytes)
	case o.Shards < 0 || o.Shards&(o.Shards-1) != 0:
		err = optionError("Shards", "is %d; it must be 0 (automatic) or a power of two", o.Shards)
	case maxBytes/int64(shards) < slab.MinShardBytes:
		err = optionError("MaxBytes", "is %d: %d bytes for each of %d shards, below the minimum of %d per shard",
			maxBytes, maxBytes/int64(shards), shards, slab.MinShardBytes)
	case maxBytes/int64(shards) >= slab.MaxRingBytes:
		err = optionError("MaxBytes", "is %d: %d bytes for each of %d shards, above the maximum of %d per shard; use more shards",
			maxBytes, maxBytes/int64(shards), shards, slab.MaxRingBytes-1)
	case o.TTL < 0:
		err = optionError("TTL", "is %v; it must be 0 (none) or positive", o.TTL)
	}
	return maxBytes, shards, err
}

// EntrySize returns the bytes an entry with this key and value length
// takes in a store's slabs, with or without a deadline; MaxBytes divided
// by it is how many such entries fit.
func EntrySize(keyLen, valueLen int, deadline bool) int {
	return slab.RecordSize(keyLen, valueLen, deadline)
}

// MaxEntrySize returns the largest EntrySize the store accepts: a bigger
// entry is not stored (and is reported to OnEvict as evicted for
// capacity).
func (s *Store) MaxEntrySize() int {
	// The last shard is the smallest: NewStore gives the remainder of
	// MaxBytes to the first ones.
	return s.shards[len(s.shards)-1].MaxRecord()
}

func (s *Store) hash(key string) (uint64, *slab.Shard) {
	h := slab.Hash(s.seed, key)
	return h, s.shards[h&s.mask]
}

// now returns the time deadlines are compared with, or 0 while no entry
// has ever had one (then no record has a deadline to compare).
func (s *Store) now() int64 {
	if !s.deadlines.Load() {
		return 0
	}
	if s.clock != nil {
		return s.clock.Now().UnixNano()
	}
	return time.Now().UnixNano()
}

// removalBuffer returns a buffer for the removals of one operation, or
// nil when nobody listens to them.
func (s *Store) removalBuffer() *slab.Removals {
	if s.onEvict == nil {
		return nil
	}
	return s.removals.Get().(*slab.Removals)
}

// report calls OnEvict for the removals in rm, outside every lock, and
// recycles rm. If OnEvict panics, the remaining removals are still
// reported, then the first panic is re-raised.
func (s *Store) report(rm *slab.Removals) {
	if rm == nil {
		return
	}
	var panicked any
	for i := range rm.Len() {
		k, v, r := rm.At(i)
		func() {
			defer func() {
				if p := recover(); p != nil && panicked == nil {
					panicked = p
				}
			}()
			s.onEvict(string(k), v, r)
		}()
	}
	rm.Reset()
	s.removals.Put(rm)
	if panicked != nil {
		panic(panicked)
	}
}

// Get returns a copy of the value stored under key, and whether it was
// there and not expired. It costs what AppendGet costs and one allocation
// for the copy; see AppendGet to reuse a buffer.
func (s *Store) Get(key string) ([]byte, bool) {
	v, ok := s.AppendGet(nil, key)
	if ok && v == nil {
		v = []byte{}
	}
	return v, ok
}

// AppendGet appends the value stored under key to dst and returns the
// extended buffer, and whether the key was there and not expired (dst is
// returned unchanged if not). With a dst of enough capacity it does not
// allocate.
//
// It costs a hash, an index probe and the copy, and takes no lock: it
// copies the value between two loads of its shard's sequence number and
// starts again if a write to the shard came between (after a few tries,
// or in race-detector builds, it takes the shard's lock instead).
func (s *Store) AppendGet(dst []byte, key string) ([]byte, bool) {
	if s.closed.Load() {
		return dst, false
	}
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	dst, ok := sh.Get(h, key, s.now(), dst, rm)
	s.reads.count(ok)
	s.report(rm)
	return dst, ok
}

// appendGetBody is AppendGet for a value written with prefix (a codec's
// header) by setBody: it appends the bytes after prefix, into a buffer of
// exactly their length if dst is nil. If the value does not start with
// prefix, or has more than maxBody bytes after it, it reports found but
// not matched and appends nothing; read it with AppendGet then.
func (s *Store) appendGetBody(dst []byte, key string, prefix []byte, maxBody int) (out []byte, found, matched bool) {
	if s.closed.Load() {
		return dst, false, false
	}
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	dst, found, matched = sh.GetBody(h, key, s.now(), prefix, maxBody, dst, rm)
	if matched || !found { // found but not matched is read again with AppendGet
		s.reads.count(found)
	}
	s.report(rm)
	return dst, found, matched
}

// Set stores a copy of value under key with the default TTL, replacing
// any value there. It reports false, and stores nothing, if the entry is
// larger than MaxEntrySize or the key longer than 65,535 bytes, or after
// Close.
func (s *Store) Set(key string, value []byte) bool {
	return s.set(key, value, s.ttl)
}

// SetWithTTL is Set with a lifetime of its own: 0 means the default TTL,
// cache.NoTTL no expiry, and a negative ttl deletes the key.
func (s *Store) SetWithTTL(key string, value []byte, ttl time.Duration) bool {
	return s.setBody(key, nil, value, ttl)
}

// setBody is SetWithTTL for the value prefix followed by body, which it
// copies into the slabs without joining them first.
func (s *Store) setBody(key string, prefix, body []byte, ttl time.Duration) bool {
	if s.closed.Load() {
		return false
	}
	if ttl = s.lifetime(ttl); ttl < 0 {
		s.Delete(key)
		return true
	}
	return s.setParts(key, prefix, body, ttl)
}

// lifetime turns the ttl a caller gave into the one stored: 0 means the
// store's TTL, cache.NoTTL none (0); a negative ttl, already expired,
// stays negative.
func (s *Store) lifetime(ttl time.Duration) time.Duration {
	switch ttl {
	case 0:
		return s.ttl
	case cache.NoTTL:
		return 0
	}
	return ttl
}

func (s *Store) set(key string, value []byte, ttl time.Duration) bool {
	return s.setParts(key, nil, value, ttl)
}

// setParts stores prefix followed by value, with a ttl of 0 meaning none.
func (s *Store) setParts(key string, prefix, value []byte, ttl time.Duration) bool {
	if s.closed.Load() {
		return false
	}
	if len(key) > slab.MaxKeyLen {
		return false
	}
	deadline, now := s.deadline(ttl)
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	ok := sh.Set(h, key, prefix, value, deadline, now, rm)
	s.report(rm)
	return ok
}

// Delete removes key and reports whether a live entry was there.
func (s *Store) Delete(key string) bool {
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	ok := sh.Delete(h, key, s.now(), rm)
	s.report(rm)
	return ok
}

// Len returns the number of entries, expired ones included until they
// are removed.
func (s *Store) Len() int {
	n := 0
	for _, sh := range s.shards {
		n += sh.Len()
	}
	return n
}

// Stats returns the store's counters: Hits, Misses, Sets, Removed by
// reason, Entries, and Weight, the bytes the entries take in the slabs.
func (s *Store) Stats() cache.Stats {
	var st cache.Stats
	st.Hits, st.Misses = s.reads.load()
	for _, sh := range s.shards {
		c, n, b := sh.Stats()
		st.Sets += c.Sets
		for r := range c.Removed {
			st.Removed[r] += c.Removed[r]
		}
		st.Entries += n
		st.Weight += b
	}
	return st
}

// Clear removes every entry, reporting each to OnEvict with
// ReasonCleared, and keeps the slabs for reuse.
func (s *Store) Clear() {
	now := s.now()
	for _, sh := range s.shards {
		rm := s.removalBuffer()
		sh.Clear(now, rm, false)
		s.report(rm)
	}
}

// Close removes every entry (reported as ReasonCleared), releases the
// slabs, and makes later writes no-ops and later reads misses. It is
// idempotent.
func (s *Store) Close() {
	if s.closed.Swap(true) {
		return
	}
	now := s.now()
	for _, sh := range s.shards {
		rm := s.removalBuffer()
		sh.Close(now, rm) // under each shard's lock, so no write lands after
		s.report(rm)
	}
}
