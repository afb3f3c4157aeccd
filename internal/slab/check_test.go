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
	s.lock()
	defer s.unlock()
	indexed := 0
	for i, sl := range s.idx.slots {
		if sl == 0 {
			continue
		}
		indexed++
		var x rec
		if loc := slotLoc(sl); !s.rings[loc>>31].record(int(loc&posMask), &x) {
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
		r := &s.rings[w]
		n, size, end := 0, 0, r.head
		var err error
		r.walk(func(p int, x rec, ok bool) bool {
			switch {
			case !ok:
				err = fmt.Errorf("ring %d: no record at %d", w, p)
			case x.size() > (r.tail-p+r.capacity-1)%r.capacity+1:
				err = fmt.Errorf("ring %d: record at %d overruns the tail", w, p)
			case x.flags&flagDead == 0:
				n++
				size += x.size()
				loc := uint32(p)
				if w == main {
					loc |= mainBit
				}
				if _, found := s.idx.findLoc(tagOf(maphash.Bytes(s.seed, x.key())), loc); !found {
					err = fmt.Errorf("ring %d: live record %q at %d is not indexed", w, x.key(), p)
				}
			}
			end = (p + x.size()) % r.capacity
			return err == nil
		})
		switch {
		case err != nil:
			return err
		case r.used > 0 && end != r.tail:
			return fmt.Errorf("ring %d: walk ended at %d, tail is %d", w, end, r.tail)
		case n != r.live || size != r.liveSize:
			return fmt.Errorf("ring %d: counts %d records of %d bytes, walk found %d of %d", w, r.live, r.liveSize, n, size)
		case r.used > r.capacity:
			return fmt.Errorf("ring %d: uses %d of %d bytes", w, r.used, r.capacity)
		}
		live += n
	}
	if live != indexed {
		return fmt.Errorf("%d live records, %d indexed", live, indexed)
	}
	return nil
}
