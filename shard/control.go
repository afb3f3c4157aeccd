package shard

import (
	"cmp"
	"slices"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
)

// This file holds runtime control of a shard: resizing, ordered views of
// its entries, and the policy state snapshots save and restore. It walks
// the policy, not the map; an unbounded shard has no policy, and falls
// back to appendSaved's copy ordered by write time.

// SetCapacity changes the shard's bound to capacity and evicts (reason
// ReasonCapacity, or ReasonExpired for entries past their deadline) until
// the shard fits it exactly, before it returns; growth takes effect at
// once. It returns the removed entries for the caller to report. It does
// nothing to an unbounded shard, whose bound cannot be set, or a closed
// one. It holds both locks for the evictions: O(1) amortised per entry
// evicted.
func (s *Shard[K, V]) SetCapacity(capacity int64) (removed entry.List[K, V]) {
	s.lockBoth()
	defer s.unlockBoth()
	if s.closed || s.policy == nil || capacity <= 0 {
		return removed
	}
	s.setCapacityLocked(capacity, s.weighted)
	s.policy.SetCapacity(capacity)
	s.maintainBothLocked(&removed)
	return removed
}

// Slack returns how far over its bound, in weight units, a write may
// leave the shard while writes' bookkeeping waits (see roomLocked).
func (s *Shard[K, V]) Slack() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slack
}

// Capacity returns the shard's bound, 0 when unbounded.
func (s *Shard[K, V]) Capacity() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.capacity
}

// Ranked is a live entry as copied out by [Shard.AppendOrdered], with its
// place in the shard's order.
type Ranked[K comparable, V any] struct {
	Key   K
	Value V
	// Rank is the entry's position in the order asked for, from 0, over
	// Of entries; expired and negative entries take positions but are
	// not copied.
	Rank, Of int
}

// lockBoth takes both locks, policy lock first. Release them with a
// deferred unlockBoth before calling into the policy (see tryDrain).
func (s *Shard[K, V]) lockBoth() {
	s.policyMu.Lock()
	s.mu.Lock()
}

func (s *Shard[K, V]) unlockBoth() {
	s.mu.Unlock()
	s.policyMu.Unlock()
}

// syncLocked hands the buffered reads and writes to the policy, so that an
// ordered walk sees them. It evicts nothing, so the walk reports no
// removals; the next write does. The caller holds both locks.
func (s *Shard[K, V]) syncLocked() {
	s.drainReadsLocked()
	s.applyLocked(s.takeWritesLocked())
	s.replaceBrokenLocked(nil) // walk a policy that tracks every entry
}

// AppendOrdered appends up to n live entries (negative and expired ones
// skipped) to buf in the policy's order, hottest or coldest first (see
// eviction.Policy.Ordered). It applies buffered reads and writes, then
// copies under both locks: writers wait for the copy, readers do not. Cost: the entries walked, at least n, more where a
// policy skips over a class of entries to reach the next. An unbounded
// shard has no policy: its entries are ordered by when they were last
// written, at the cost of copying and sorting them all.
func (s *Shard[K, V]) AppendOrdered(buf []Ranked[K, V], hottest bool, n int) []Ranked[K, V] {
	if n <= 0 {
		return buf
	}
	if s.policy == nil {
		saved := s.byWriteTime(nil)
		if hottest {
			slices.Reverse(saved)
		}
		for i, e := range saved[:min(n, len(saved))] {
			buf = append(buf, Ranked[K, V]{Key: e.Key, Value: e.Value, Rank: i, Of: len(saved)})
		}
		return buf
	}
	s.lockBoth()
	defer s.unlockBoth()
	s.syncLocked()
	now := s.clock()
	for start := len(buf); ; buf = buf[:start] {
		of, pos, copied := s.policy.Len(), 0, 0
		s.policy.Ordered(hottest, func(e *entry.Entry[K, V]) bool {
			// Load, not Value: an overwrite may be running without mu.
			if v, m := e.Load(); !m.Negative && (m.Deadline == 0 || m.Deadline > now) {
				buf = append(buf, Ranked[K, V]{Key: e.Key(), Value: v, Rank: pos, Of: of})
				copied++
			}
			pos++
			return copied < n
		})
		// A user policy that panicked in the walk left it short: walk
		// the built-in policy that took over.
		if !s.replaceBrokenLocked(nil) {
			return buf
		}
	}
}

// State is a live entry as copied out by [Shard.AppendState]: what a
// snapshot saves to restore it and the policy's view of it.
type State[K comparable, V any] struct {
	savedEntry[K, V]
	// Rank is the entry's position, coldest first, as a fraction of the
	// shard's entries in units of 1/RankScale: 0 is the coldest, just
	// under RankScale the hottest. Shards of different sizes compare.
	Rank uint32
	// Frequency is the policy's estimate of the key's recent uses, for
	// policies that count them (eviction.FrequencyCounter), else 0.
	Frequency uint8
}

// RankScale is the denominator of [State].Rank.
const RankScale = 1 << 24

// AppendState appends the shard's live entries, negative entries
// excluded, coldest first, with their rank and frequency, to buf. Like
// AppendOrdered it applies buffered reads and writes first, then copies
// under both locks, so the copy is the shard at one moment. Cost: one walk
// over the policy and no allocation beyond buf's growth. An unbounded
// shard has no policy: its entries come in map order, all ranked 0,
// leaving their write times (Age) to order them.
func (s *Shard[K, V]) AppendState(buf []State[K, V]) []State[K, V] {
	if s.policy == nil {
		// No policy, no order but the write times, which compare
		// across shards better than ranks would: every entry ranks 0.
		for _, e := range s.appendSaved(nil) {
			buf = append(buf, State[K, V]{savedEntry: e})
		}
		return buf
	}
	s.lockBoth()
	defer s.unlockBoth()
	s.syncLocked()
	now := s.clock()
	for start := len(buf); ; buf = buf[:start] {
		counter, _ := s.policy.(eviction.FrequencyCounter)
		of, pos := s.policy.Len(), 0
		s.policy.Ordered(false, func(e *entry.Entry[K, V]) bool {
			at := pos
			pos++
			saved, ok := s.savedLocked(e, now)
			if !ok {
				return true
			}
			st := State[K, V]{savedEntry: saved, Rank: rankOf(at, of)}
			if counter != nil {
				st.Frequency = uint8(min(counter.Frequency(e.Hash()), 255))
			}
			buf = append(buf, st)
			return true
		})
		// As in AppendOrdered: a snapshot of a walk a panic cut short
		// would silently leave entries out.
		if !s.replaceBrokenLocked(nil) {
			return buf
		}
	}
}

func rankOf(pos, of int) uint32 {
	if of <= 0 {
		return 0
	}
	return uint32(int64(pos) * RankScale / int64(of))
}

// byWriteTime returns the shard's live entries, least recently written
// first: the order of an unbounded shard, which keeps no policy.
func (s *Shard[K, V]) byWriteTime(buf []savedEntry[K, V]) []savedEntry[K, V] {
	buf = s.appendSaved(buf)
	slices.SortStableFunc(buf, func(a, b savedEntry[K, V]) int { return cmp.Compare(b.Age, a.Age) })
	return buf
}

// RaiseFrequency makes the policy's frequency estimate for hash at least n,
// if the policy counts frequencies (eviction.FrequencyCounter). A snapshot
// load calls it before storing the key, so that the entry competes for
// admission with the count it had when it was saved.
func (s *Shard[K, V]) RaiseFrequency(hash uint64, n int) {
	if n <= 0 {
		return
	}
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	if fc, ok := s.policy.(eviction.FrequencyCounter); ok {
		fc.RaiseFrequency(entry.StoredHash(hash), n)
	}
}

// AppendLearned appends what the shard's policy has learned about the
// workload beyond frequencies (eviction.Learner) to b, and reports whether
// the policy learns anything of the kind. Snapshots save it.
func (s *Shard[K, V]) AppendLearned(b []byte) ([]byte, bool) {
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	l, ok := s.policy.(eviction.Learner)
	if !ok {
		return b, false
	}
	return l.AppendLearned(b), true
}

// Learn hands the policy what AppendLearned saved. It returns the policy's
// error when the policy cannot use it (another algorithm saved it, or the
// bytes are not an encoding it knows), and nil, doing nothing, when the
// policy learns nothing of the kind or the shard is closed.
func (s *Shard[K, V]) Learn(b []byte) error {
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	if l, ok := s.policy.(eviction.Learner); ok {
		return l.Learn(b)
	}
	return nil
}
