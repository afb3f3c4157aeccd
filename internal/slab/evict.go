package slab

import (
	"hash/maphash"

	"github.com/stratacache/cache/entry"
)

// makeRoomLocked evicts from ring w until a record of size bytes fits at
// its tail. Making room in the small ring may move records to the main
// ring, which makes room there in turn; the main ring only evicts.
func (s *Shard) makeRoomLocked(w, size int, now int64, rm *Removals) {
	r := &s.rings[w]
	for r.free() < r.need(size) {
		if w == small {
			s.evictSmallLocked(now, rm)
		} else {
			s.evictMainLocked(now, rm)
		}
	}
}

// headLocked reads the record at the head of ring w into *x and returns
// its hash and its location; or, if that record was already removed, pops
// its bytes and reports dead true (computing no hash). A head that is not
// a record empties the ring (see dropRingLocked) and is reported dead too.
func (s *Shard) headLocked(w int, x *rec) (hash uint64, loc uint32, dead bool) {
	r := &s.rings[w]
	r.skipPads()
	if !r.record(r.head, x) {
		s.dropRingLocked(w)
		return 0, 0, true
	}
	loc = uint32(r.head)
	if w == main {
		loc |= mainBit
	}
	if x.flags&flagDead != 0 {
		r.popFront(x.size())
		return 0, loc, true
	}
	return maphash.Bytes(s.seed, x.key()), loc, false
}

// evictSmallLocked processes the small ring's head: a dead record is
// dropped, an expired one removed, one read while in the small ring (or
// any, while the main ring has room) moves to the main ring, and any other
// is evicted, its hash kept in the ghost.
func (s *Shard) evictSmallLocked(now int64, rm *Removals) {
	r, m := &s.rings[small], &s.rings[main]
	var x rec
	hash, loc, dead := s.headLocked(small, &x)
	if dead {
		return
	}
	n := x.size()
	tag := tagOf(hash)
	i, _ := s.idx.findLoc(tag, loc)
	promote := !expired(&x, now) && (slotFreq(s.idx.slots[i]) != 0 || m.free() >= m.need(n))
	if promote {
		// Room first: evicting from main moves index slots.
		s.makeRoomLocked(main, n, now, rm)
		s.moveToMainLocked(&x, 0, tag, loc)
		m.live++
		m.liveSize += n
		r.live--
		r.liveSize -= n
		r.popFront(n)
		return
	}
	if s.evictHeadLocked(small, &x, i, now, rm) == entry.ReasonCapacity {
		s.ghost.add(hash)
	}
}

// moveToMainLocked copies x to the main ring's tail, which has room, and
// points its index slot (found by tag and its old location loc) there,
// with access count freq.
func (s *Shard) moveToMainLocked(x *rec, freq byte, tag, loc uint32) {
	m := &s.rings[main]
	n := x.size()
	p := m.alloc(n)
	copy(m.at(p, n), x.body)
	i, _ := s.idx.findLoc(tag, loc)
	s.idx.slots[i] = withFreq(slotOf(tag, uint32(p)|mainBit), freq)
}

// evictHeadLocked removes x, the record at the head of ring w whose index
// slot is i, and returns the reason it was reported with.
func (s *Shard) evictHeadLocked(w int, x *rec, i uint64, now int64, rm *Removals) entry.Reason {
	reason := reasonFor(x, now, entry.ReasonCapacity)
	s.reportLocked(x, reason, rm)
	s.idx.remove(i)
	r := &s.rings[w]
	r.live--
	r.liveSize -= x.size()
	r.popFront(x.size())
	return reason
}

// evictMainLocked processes the main ring's head: a dead record is
// dropped, a record read since its last pass goes back to the tail with
// its count lowered, and any other is evicted. A record that cannot move
// to the tail without overwriting itself (the tail is right behind the
// head and the rest of its chunk is too short) is evicted too; that
// happens at most once per lap of the ring.
func (s *Shard) evictMainLocked(now int64, rm *Removals) {
	r := &s.rings[main]
	var x rec
	hash, loc, dead := s.headLocked(main, &x)
	if dead {
		return
	}
	n := x.size()
	tag := tagOf(hash)
	i, _ := s.idx.findLoc(tag, loc)
	if f := slotFreq(s.idx.slots[i]); f > 0 && !expired(&x, now) && r.free()+n >= r.need(n) {
		r.popFront(n)
		// The record's old bytes are now free space the copy may
		// overlap; copy moves them as memmove does.
		s.moveToMainLocked(&x, f-1, tag, loc)
		return
	}
	s.evictHeadLocked(main, &x, i, now, rm)
}

// dropRingLocked empties ring w and forgets its records, for a ring whose
// bytes stopped parsing: only damaged memory can do that to a ring this
// package wrote. The shard then goes on with what it can trust; the lost
// entries read as misses and are not reported.
func (s *Shard) dropRingLocked(w int) {
	s.counters.Damaged += uint64(s.rings[w].live)
	s.rings[w].reset()
	old := s.idx
	s.idx = newIndex()
	for _, sl := range old.slots {
		if sl != 0 && int(slotLoc(sl)>>31) != w {
			s.idx.insert(slotTag(sl), slotLoc(sl), slotFreq(sl))
		}
	}
}
