package bytecache

import (
	"math"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/internal/slab"
)

// GetWithTTL is Get that also returns how long the value has left
// (cache.NoTTL if it never expires), read with the value from the same
// write. It costs what Get costs. multilevel.GCFreeStore uses it so that
// whoever reads a value from it keeps it no longer than the store does.
func (s *Store) GetWithTTL(key string) ([]byte, time.Duration, bool) {
	if s.closed.Load() {
		return nil, 0, false
	}
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	now := s.clockNow() // not now(): against its 0, a first deadline set meanwhile would seem decades away
	v, deadline, ok := sh.GetDeadline(h, key, now, nil, rm)
	s.reads.count(ok)
	s.report(rm)
	switch {
	case !ok:
		return nil, 0, false
	case v == nil:
		v = []byte{}
	}
	if deadline == 0 {
		return v, cache.NoTTL, true
	}
	return v, time.Duration(deadline - now), true
}

// SetIfAbsent stores a copy of value under key for ttl (as SetWithTTL's,
// but a negative ttl stores nothing) only if key holds no live entry, and
// reports whether it stored it. The test and the write are one step: no
// other write of key comes between them. It reports false, leaving the
// entry there untouched and not counted as read, if key holds one, and
// for the reasons Set stores nothing. It costs a Set.
func (s *Store) SetIfAbsent(key string, value []byte, ttl time.Duration) bool {
	ok, rm := s.setIfAbsent(key, value, ttl)
	s.report(rm)
	return ok
}

// setIfAbsent is SetIfAbsent leaving the removals it made for the caller
// to report: a caller holding a lock of its own reports them (runs
// OnEvict) once it has let go.
func (s *Store) setIfAbsent(key string, value []byte, ttl time.Duration) (bool, *slab.Removals) {
	if ttl = s.lifetime(ttl); ttl < 0 {
		return false, nil
	}
	if s.closed.Load() || len(key) > slab.MaxKeyLen {
		return false, nil
	}
	deadline, now := s.deadline(ttl)
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	return sh.SetIfAbsent(h, key, value, deadline, now, rm), rm
}

// CompareAndDelete removes key if its live value is old, byte for byte,
// and reports whether it did, in one step: no other write of key comes
// between the comparison and the removal. An entry that does not match is
// left untouched and not counted as read. It costs a Delete and a
// comparison.
func (s *Store) CompareAndDelete(key string, old []byte) bool {
	h, sh := s.hash(key)
	rm := s.removalBuffer()
	ok := sh.CompareAndDelete(h, key, old, s.now(), rm)
	s.report(rm)
	return ok
}

// deadline returns the deadline of an entry written now for ttl (0 for
// none), and now. A ttl too long to add to now never expires, rather than
// wrapping to a deadline in the past; a real deadline is never 0, which
// means none.
func (s *Store) deadline(ttl time.Duration) (deadline, now int64) {
	if ttl > 0 {
		s.deadlines.Store(true) // before reading the clock: now() is 0 until then
	}
	now = s.now()
	switch {
	case ttl <= 0 || now > math.MaxInt64-int64(ttl):
		return 0, now
	case now+int64(ttl) == 0:
		return -1, now
	}
	return now + int64(ttl), now
}

// clockNow is the time in Unix nanoseconds, unlike now() even before any
// entry has had a deadline.
func (s *Store) clockNow() int64 {
	if s.clock != nil {
		return s.clock.Now().UnixNano()
	}
	return time.Now().UnixNano()
}

// contains reports whether key holds a live value, counting nothing: the
// second look of a load that missed.
func (s *Store) contains(key string) bool {
	h, sh := s.hash(key)
	return sh.Contains(h, key, s.now())
}
