package slab

import (
	"fmt"
	"hash/maphash"
)

// check verifies the shard's invariants: every index slot points at a
// live record of its own key in the ring its location names, the rings'
// live counts and sizes match what a walk from head to tail finds, and
// every live record is in the index exactly once.
func (s *Shard) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	indexed := 0
	for i, sl := range s.idx.slots {
		if sl == 0 {
			continue
		}
		indexed++
		x, ok := s.recordAt(slotLoc(sl))
		if !ok {
			return fmt.Errorf("slot %d: location %#x holds no record", i, slotLoc(sl))
		}
		if x.flags&flagDead != 0 {
			return fmt.Errorf("slot %d: record %q is dead", i, x.key())
		}
		if tagOf(maphash.Bytes(s.seed, x.key())) != slotTag(sl) {
			return fmt.Errorf("slot %d: tag does not match key %q", i, x.key())
		}
		if j, _, _, ok := s.lookupLocked(slotTag(sl), string(x.key())); !ok || j != uint64(i) {
			return fmt.Errorf("slot %d: key %q is not reachable from its home slot", i, x.key())
		}
	}
	if indexed != s.idx.count {
		return fmt.Errorf("index counts %d slots, holds %d", s.idx.count, indexed)
	}
	live := 0
	for w := range s.rings {
		r := s.rings[w] // a copy: walking moves head
		n, size := 0, 0
		for r.used > 0 {
			r.skipPads()
			if r.used == 0 {
				break
			}
			x, ok := r.record(r.head)
			if !ok {
				return fmt.Errorf("ring %d: no record at %d", w, r.head)
			}
			if x.size() > r.used {
				return fmt.Errorf("ring %d: record at %d overruns the tail", w, r.head)
			}
			if x.flags&flagDead == 0 {
				n++
				size += x.size()
				loc := uint32(r.head)
				if w == main {
					loc |= mainBit
				}
				if _, ok := s.idx.findLoc(tagOf(maphash.Bytes(s.seed, x.key())), loc); !ok {
					return fmt.Errorf("ring %d: live record %q at %d is not indexed", w, x.key(), r.head)
				}
			}
			r.popFront(x.size())
		}
		if r.head != s.rings[w].tail {
			return fmt.Errorf("ring %d: walk ended at %d, tail is %d", w, r.head, s.rings[w].tail)
		}
		if n != s.rings[w].live || size != s.rings[w].liveSize {
			return fmt.Errorf("ring %d: counts %d records of %d bytes, walk found %d of %d",
				w, s.rings[w].live, s.rings[w].liveSize, n, size)
		}
		if s.rings[w].used > s.rings[w].capacity {
			return fmt.Errorf("ring %d: uses %d of %d bytes", w, s.rings[w].used, s.rings[w].capacity)
		}
		live += n
	}
	if live != indexed {
		return fmt.Errorf("%d live records, %d indexed", live, indexed)
	}
	return nil
}
