// Package policysim replays key streams through an eviction policy the
// way a shard drives it, for tests and benchmarks that measure a policy's
// hit ratio or cost without a cache around it.
package policysim

import "github.com/stratacache/cache/entry"

// Void is the value type of replayed entries: only keys matter.
type Void = struct{}

// Policy is the part of eviction.Policy a replay calls.
type Policy interface {
	Add(e *entry.Entry[uint64, Void])
	Access(e *entry.Entry[uint64, Void])
	Evict() *entry.Entry[uint64, Void]
}

// Sim holds the resident keys of one policy of a fixed capacity, every
// entry weighing 1.
type Sim struct {
	Policy   Policy
	capacity int64
	resident map[uint64]*entry.Entry[uint64, Void]
}

// New returns a simulator that drives p, bounded at capacity entries.
func New(p Policy, capacity int64) *Sim {
	return &Sim{Policy: p, capacity: capacity, resident: make(map[uint64]*entry.Entry[uint64, Void])}
}

// Get requests key, whose hash is hash, and reports whether it was
// resident. A resident key is a hit (Access); a missing one is added, and
// the policy evicts until the entries fit. Reads reach the policy at once
// here; in a shard they arrive late, and some are lost.
func (s *Sim) Get(key, hash uint64) bool {
	if e := s.resident[key]; e != nil {
		s.Policy.Access(e)
		return true
	}
	e := entry.New(key, Void{}, hash, 1)
	e.MarkResident()
	s.resident[key] = e
	s.Policy.Add(e)
	for int64(len(s.resident)) > s.capacity {
		v := s.Policy.Evict()
		if v == nil {
			panic("policysim: the policy evicted nothing while over capacity")
		}
		delete(s.resident, v.Key())
		v.MarkRemoved(entry.ReasonCapacity)
	}
	return false
}
