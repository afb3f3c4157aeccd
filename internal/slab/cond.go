package slab

import (
	"bytes"
	"math"

	"github.com/stratacache/cache/entry"
)

// GetDeadline is Get that also returns the record's deadline (0 for
// none), read with its value. It costs what GetBody costs.
func (s *Shard) GetDeadline(hash uint64, key string, now int64, dst []byte, rm *Removals) ([]byte, int64, bool) {
	var r readResult
	s.read(hash, key, now, nil, math.MaxInt, dst, rm, &r)
	return r.out, r.deadline, r.found
}

// The operations below read and write under one hold of the shard's lock,
// so that another writer of the key cannot come between the test and the
// change: they are what a multilevel lease needs (take it if the key holds
// nothing, release it if it is still ours).

// SetIfAbsent is Set if key holds no live record, and reports whether it
// stored value: false if a live record is there (it is left untouched and
// not counted as read), or if the record would exceed MaxRecord.
func (s *Shard) SetIfAbsent(hash uint64, key string, value []byte, deadline, now int64, rm *Removals) bool {
	s.lock()
	defer s.unlock()
	if _, _, x, ok := s.lookupLocked(tagOf(hash), key); ok && !expired(&x, now) {
		return false
	}
	return s.setLocked(hash, key, nil, value, deadline, now, rm)
}

// CompareAndDelete removes key if it holds a live record whose value is
// old, byte for byte, and reports whether it did. A record that does not
// match is left untouched and not counted as read.
func (s *Shard) CompareAndDelete(hash uint64, key string, old []byte, now int64, rm *Removals) bool {
	s.lock()
	defer s.unlock()
	i, loc, x, ok := s.lookupLocked(tagOf(hash), key)
	if !ok || expired(&x, now) || !bytes.Equal(x.value(), old) {
		return false
	}
	s.dropLocked(i, loc, &x, entry.ReasonDeleted, rm)
	return true
}
