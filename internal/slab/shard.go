// Package slab is the engine of the GC-free store (package bytecache):
// entries are records in large byte chunks, found through an index of
// uint64 slots, so the garbage collector has a few pointers per shard to
// follow however many entries there are.
//
// Each shard runs S3-FIFO (Yang et al., SOSP'23) over two rings of records
// that are logs in the manner of freecache's: a small ring, a tenth of the
// bytes, that new keys enter, and a main ring. A record read while in the
// small ring moves to the main ring when it reaches the small ring's head;
// one never read leaves, and its hash goes to a ghost, which sends the key
// straight to the main ring if it comes back soon. The main ring is a
// CLOCK: a record at its head that was read since its last pass is copied
// to the tail with its count lowered, one that was not is evicted. Unlike
// the paper, records leaving the small ring unread fill the main ring
// while it has room, so a fresh cache keeps what it is given; this also
// keeps part of a loop larger than the cache resident.
//
// A Shard is safe for concurrent use. Writes take its lock. Reads take no
// lock (see GetBody): they copy the value out between two loads of the
// shard's sequence number, which every write makes odd while it changes
// anything, and start again if a write came between; the copy is the
// caller's, so no caller ever holds memory that a later write reuses. A
// read writes no shared memory but, when it rises, the entry's access
// count in its index slot.
package slab

import (
	"bytes"
	"hash/maphash"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/seqlock"
)

// Counters are a shard's statistics. Hits and misses are the caller's to
// count (the results of reads say which), so that reads write no line of
// the shard's.
type Counters struct {
	Sets    uint64
	Removed [entry.NumReasons]uint64
	// Damaged counts entries lost because their ring's bytes stopped
	// parsing, which only memory corruption can cause.
	Damaged uint64
}

// Shard is one partition of the store.
type Shard struct {
	// seq is the shard's lock and its version: odd while a writer holds
	// the shard (see lock); reads without the lock check it around their
	// copy.
	seq atomic.Uint32
	// counters share seq's cache line: every write changes both, so a
	// write to a shard the other core wrote last moves one line, not two.
	counters Counters
	// readSlots is the index's slots as readers without the lock see
	// them: the table a writer replaces (growing, clearing) is published
	// here before seq turns even.
	readSlots atomic.Pointer[[]uint64]
	idx       index
	rings     [2]ring // small, main
	ghost     ghost
	maxSize   int          // largest record accepted
	seed      maphash.Seed // the store's: records' keys are hashed again to find their slots
	closed    bool         // by Close: writes store nothing

	// afterLookup, set by tests only, runs in a read without the lock
	// between finding the record and copying its value.
	afterLookup func()
	// Pads the struct to a size class of whole cache lines, whose
	// objects start on a line: seq and counters then share one.
	_ [shardPad]byte
}

const shardPad = 56

const (
	small = 0
	main  = 1
	// smallShare is the small ring's part of a shard's bytes, in tenths.
	smallShare = 1
	maxFreq    = 3
)

// MinShardBytes is the smallest shard: room for a few records of a small
// key and value in each ring.
const MinShardBytes = 256

// NewShard returns an empty shard bounded to bytes of records, for keys
// hashed with Hash(seed, key). The caller keeps bytes within
// [MinShardBytes, MaxRingBytes].
func NewShard(bytes int, seed maphash.Seed) *Shard {
	sm := bytes * smallShare / 10
	s := &Shard{idx: newIndex(), ghost: newGhost(minIndexSlots), seed: seed}
	s.publishSlots()
	s.rings[small] = newRing(sm)
	s.rings[main] = newRing(bytes - sm)
	s.maxSize = min(s.rings[main].maxRecord(), s.rings[main].capacity/4)
	return s
}

// Hash is the hash every method takes: the store picks the shard with its
// low bits, the shard the slot with its high bits.
func Hash(seed maphash.Seed, key string) uint64 { return maphash.String(seed, key) }

// MaxRecord returns the largest record the shard stores; see RecordSize.
func (s *Shard) MaxRecord() int { return s.maxSize }

func expired(x *rec, now int64) bool { return x.deadline != 0 && x.deadline <= now }

// reasonFor is the reason to report for removing x: expired whatever
// caused it, if its deadline has passed.
func reasonFor(x *rec, now int64, r entry.Reason) entry.Reason {
	if expired(x, now) {
		return entry.ReasonExpired
	}
	return r
}

// lock takes the shard for a write by making seq odd: readers without
// the lock retry until unlock. A writer that finds it odd spins a little,
// then yields its processor between tries: the holders' sections are
// short, and never run user code.
func (s *Shard) lock() {
	for spins := 0; ; spins++ {
		if v := s.seq.Load(); v&1 == 0 && s.seq.CompareAndSwap(v, v+1) {
			return
		}
		if spins >= lockSpins {
			runtime.Gosched()
		}
	}
}

const lockSpins = 32

// unlock publishes the index's table if the write replaced it, and lets
// readers in again.
func (s *Shard) unlock() {
	if p := s.readSlots.Load(); &(*p)[0] != &s.idx.slots[0] {
		s.publishSlots()
	}
	s.seq.Add(1)
}

func (s *Shard) publishSlots() {
	slots := s.idx.slots
	s.readSlots.Store(&slots)
}

// lookupLocked finds key: its index slot, location and record.
func (s *Shard) lookupLocked(tag uint32, key string) (i uint64, loc uint32, x rec, ok bool) {
	i, loc, ok = s.lookupIn(s.idx.slots, false, tag, key, &x)
	return i, loc, x, ok
}

// lookupIn finds key through slots, which is the index's table or, for a
// read without the lock (shared), a table it published (maybe replaced
// since, or changing as it reads). Without the lock what it finds is only
// a guess until the reader has checked seq, but it never panics and never
// loops forever: it probes at most every slot once.
func (s *Shard) lookupIn(slots []uint64, shared bool, tag uint32, key string, x *rec) (i uint64, loc uint32, ok bool) {
	mask := uint64(len(slots) - 1)
	i = uint64(tag) & mask
	for range slots {
		// Atomic: reads without the lock raise access counts in slots.
		sl := atomic.LoadUint64(&slots[i])
		if sl == 0 {
			return 0, 0, false
		}
		if slotTag(sl) == tag {
			loc = slotLoc(sl)
			r := &s.rings[loc>>31]
			if shared {
				ok = r.recordShared(int(loc&posMask), x)
			} else {
				ok = r.record(int(loc&posMask), x)
			}
			// A record that does not parse is never a match: damaged
			// memory reads as a miss, not as somebody else's value.
			if ok && string(x.key()) == key {
				return i, loc, true
			}
		}
		i = (i + 1) & mask
	}
	return 0, 0, false
}

// Get appends the value of key to dst and reports whether it was found
// and live. An expired record found on the way is removed. It costs what
// GetBody costs.
func (s *Shard) Get(hash uint64, key string, now int64, dst []byte, rm *Removals) ([]byte, bool) {
	dst, found, _ := s.GetBody(hash, key, now, nil, math.MaxInt, dst, rm)
	return dst, found
}

// GetBody is Get for values written with a prefix (see Set): it appends
// the bytes of the value after prefix. If the live value does not start
// with prefix, or has more than maxBody bytes after it, it reports found
// but not matched and appends nothing: the caller then reads the whole
// value with Get. A nil dst gets a buffer of exactly the body's length.
//
// It takes no lock unless writes keep changing the shard as it reads (or
// in race-detector builds, see race.go), and writes no memory but the
// entry's access count while it is below the top.
func (s *Shard) GetBody(hash uint64, key string, now int64, prefix []byte, maxBody int, dst []byte, rm *Removals) (out []byte, found, matched bool) {
	var r readResult
	s.read(hash, key, now, prefix, maxBody, dst, rm, &r)
	return r.out, r.found, r.matched
}

// read is GetBody's work, also GetDeadline's.
func (s *Shard) read(hash uint64, key string, now int64, prefix []byte, maxBody int, dst []byte, rm *Removals, r *readResult) {
	if !s.readOptimistic(hash, key, now, prefix, maxBody, dst, r) {
		s.readLocked(hash, key, now, prefix, maxBody, dst, r)
	}
	if r.stale {
		s.removeExpired(hash, key, now, rm)
	}
}

// readResult is what a read found, and the record's deadline. stale
// reports an expired entry, which only a writer may remove.
type readResult struct {
	out                   []byte
	deadline              int64
	found, matched, stale bool
}

// optimisticTries bounds the reads a reader without the lock starts over
// before it takes the lock; seqSpins bounds its wait for a writer to finish.
const (
	optimisticTries = 4
	seqSpins        = 64
)

// readOptimistic is GetBody without the lock: the lookup and the copy
// run between two loads of seq and count only if no write came between.
// It reports false if writes kept coming; the caller then reads under
// the lock. The read path fills results in place rather than returning
// them, so that a Get copies no record or result from frame to frame.
func (s *Shard) readOptimistic(hash uint64, key string, now int64, prefix []byte, maxBody int, dst []byte, r *readResult) bool {
	if !optimisticReads {
		return false
	}
	for range optimisticTries {
		v, ok := s.evenSeq()
		if !ok {
			break
		}
		slots := *s.readSlots.Load()
		i := s.readIn(slots, true, tagOf(hash), key, now, prefix, maxBody, dst, r)
		if seqlock.Unchanged(&s.seq, v) {
			if r.matched {
				raiseFreq(&slots[i])
			}
			return true
		}
	}
	return false
}

// evenSeq waits a little for seq to be even, and returns it.
func (s *Shard) evenSeq() (uint32, bool) {
	for range seqSpins {
		if v := s.seq.Load(); v&1 == 0 {
			return v, true
		}
	}
	return 0, false
}

// readLocked is GetBody under the lock.
func (s *Shard) readLocked(hash uint64, key string, now int64, prefix []byte, maxBody int, dst []byte, r *readResult) {
	s.lock()
	defer s.unlock()
	if i := s.readIn(s.idx.slots, false, tagOf(hash), key, now, prefix, maxBody, dst, r); r.matched {
		raiseFreq(&s.idx.slots[i])
	}
}

// readIn looks key up through slots, copies its value out and fills *r;
// it returns the key's slot.
func (s *Shard) readIn(slots []uint64, shared bool, tag uint32, key string, now int64, prefix []byte, maxBody int, dst []byte, r *readResult) uint64 {
	var x rec
	i, _, ok := s.lookupIn(slots, shared, tag, key, &x)
	if shared && ok && s.afterLookup != nil {
		s.afterLookup()
	}
	*r = readResult{out: dst}
	if !ok || expired(&x, now) {
		r.stale = ok
		return 0
	}
	v := x.value()
	if !bytes.HasPrefix(v, prefix) || len(v)-len(prefix) > maxBody {
		r.found = true
		return 0
	}
	v = v[len(prefix):]
	if dst == nil {
		dst = make([]byte, 0, len(v))
	}
	r.out, r.deadline, r.found, r.matched = append(dst, v...), x.deadline, true, true
	return i
}

// raiseFreq raises the access count in slot *p only when it is below the
// top, so that reads of a hot entry do not write its slot's cache line;
// losing a race to another read (or a write) loses one count, as
// S3-FIFO's counters may.
func raiseFreq(p *uint64) {
	if sl := atomic.LoadUint64(p); sl != 0 && slotFreq(sl) < maxFreq {
		atomic.CompareAndSwapUint64(p, sl, withFreq(sl, slotFreq(sl)+1))
	}
}

// removeExpired removes key if its entry has expired, as a read that met
// it asks.
func (s *Shard) removeExpired(hash uint64, key string, now int64, rm *Removals) {
	s.lock()
	defer s.unlock()
	if i, loc, x, ok := s.lookupLocked(tagOf(hash), key); ok && expired(&x, now) {
		s.dropLocked(i, loc, &x, entry.ReasonExpired, rm)
	}
}

// Contains reports whether key is present and live, touching nothing.
func (s *Shard) Contains(hash uint64, key string, now int64) bool {
	s.lock()
	defer s.unlock()
	_, _, x, ok := s.lookupLocked(tagOf(hash), key)
	return ok && !expired(&x, now)
}

// Delete removes key and reports whether a live entry was there.
func (s *Shard) Delete(hash uint64, key string, now int64, rm *Removals) bool {
	s.lock()
	defer s.unlock()
	i, loc, x, ok := s.lookupLocked(tagOf(hash), key)
	if !ok {
		return false
	}
	live := !expired(&x, now)
	s.dropLocked(i, loc, &x, reasonFor(&x, now, entry.ReasonDeleted), rm)
	return live
}

// dropLocked removes the record x at index slot i and location loc,
// reporting it with reason. Its
// bytes stay in the ring, marked dead, until the head passes them.
func (s *Shard) dropLocked(i uint64, loc uint32, x *rec, reason entry.Reason, rm *Removals) {
	s.reportLocked(x, reason, rm)
	x.body[0] |= flagDead
	r := &s.rings[loc>>31]
	r.live--
	r.liveSize -= x.size()
	s.idx.remove(i)
}

func (s *Shard) reportLocked(x *rec, reason entry.Reason, rm *Removals) {
	s.counters.Removed[reason]++
	if rm != nil {
		rm.add(x.key(), nil, x.value(), reason)
	}
}

// Set stores prefix followed by value under key with deadline (Unix
// nanoseconds, 0 for none); prefix is for a codec's header, which saves
// the caller from joining the two. It reports false, storing nothing, when
// the record would exceed MaxRecord; the value is then reported as evicted
// for capacity.
func (s *Shard) Set(hash uint64, key string, prefix, value []byte, deadline, now int64, rm *Removals) bool {
	s.lock()
	defer s.unlock()
	return s.setLocked(hash, key, prefix, value, deadline, now, rm)
}

// setLocked is Set with the shard's lock held.
func (s *Shard) setLocked(hash uint64, key string, prefix, value []byte, deadline, now int64, rm *Removals) bool {
	if s.closed {
		// A write that passed its store's closed check as Close ran.
		return false
	}
	size := RecordSize(len(key), len(prefix)+len(value), deadline != 0)
	s.counters.Sets++
	tag := tagOf(hash)
	var freq byte
	where := small
	var x rec // filled in place: this is every write's path
	if i, loc, ok := s.lookupIn(s.idx.slots, false, tag, key, &x); ok {
		live := !expired(&x, now)
		f := min(slotFreq(s.idx.slots[i])+1, maxFreq)
		if live && x.size() == size && x.deadline != 0 == (deadline != 0) {
			// Same shape: overwrite in place, no garbage left behind.
			s.reportLocked(&x, entry.ReasonReplaced, rm)
			writeRecord(x.body, x.flags, key, prefix, value, deadline)
			s.idx.slots[i] = withFreq(s.idx.slots[i], f)
			return true
		}
		if live {
			freq = f
		}
		where = int(loc >> 31)
		s.dropLocked(i, loc, &x, reasonFor(&x, now, entry.ReasonReplaced), rm)
	}
	if size > s.maxSize {
		s.counters.Removed[entry.ReasonCapacity]++
		if rm != nil {
			rm.add([]byte(key), prefix, value, entry.ReasonCapacity)
		}
		return false
	}
	if where == small && (s.ghost.take(hash, s.rings[main].live) || size > s.rings[small].maxRecord()/4) {
		where = main
	}
	var flags byte
	if deadline != 0 {
		flags |= flagDeadline
	}
	r := &s.rings[where]
	s.makeRoomLocked(where, size, now, rm)
	p := r.alloc(size)
	writeRecord(r.at(p, size), flags, key, prefix, value, deadline)
	r.live++
	r.liveSize += size
	loc := uint32(p)
	if where == main {
		loc |= mainBit
	}
	s.idx.insert(tag, loc, freq)
	if len(s.idx.slots) > len(s.ghost.slots) {
		s.ghost.grow(len(s.idx.slots))
	}
	return true
}

// Len returns the number of live records, expired ones included until
// they are removed.
func (s *Shard) Len() int {
	s.lock()
	defer s.unlock()
	return s.rings[small].live + s.rings[main].live
}

// Stats returns the shard's counters, its live records and their bytes.
func (s *Shard) Stats() (c Counters, entries int, bytes int64) {
	s.lock()
	defer s.unlock()
	return s.counters, s.rings[small].live + s.rings[main].live,
		int64(s.rings[small].liveSize + s.rings[main].liveSize)
}

// Clear removes every record, reporting each with ReasonCleared (or
// ReasonExpired). It keeps the chunks for reuse unless release is set.
func (s *Shard) Clear(now int64, rm *Removals, release bool) {
	s.lock()
	defer s.unlock()
	s.clearLocked(now, rm, release)
}

// Close is Clear releasing the chunks, after which every write stores
// nothing and reports false, so that a write racing its store's Close
// cannot leave an entry behind.
func (s *Shard) Close(now int64, rm *Removals) {
	s.lock()
	defer s.unlock()
	s.closed = true
	s.clearLocked(now, rm, true)
}

func (s *Shard) clearLocked(now int64, rm *Removals, release bool) {
	for w := range s.rings {
		r := &s.rings[w]
		r.walk(func(_ int, x rec, ok bool) bool {
			if ok && x.flags&flagDead == 0 {
				s.reportLocked(&x, reasonFor(&x, now, entry.ReasonCleared), rm)
			}
			return true
		})
		r.reset()
		if release {
			r.release()
		}
	}
	s.idx.reset()
	s.ghost.reset()
}
