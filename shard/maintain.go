package shard

import (
	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/timerwheel"
)

// This file is the policy side: the write buffer, and the maintenance that
// applies it and the read buffers to the policy and the timer wheel, then
// expires and evicts. Maintenance runs under the policy lock, taking the
// data lock only to swap the write buffer and to remove entries, so writers
// change data while the policy does its work.

// writeBufferSize is how many writes' bookkeeping a shard buffers; a write
// that finds the buffer full applies it itself (see roomLocked). Unlike
// reads', a write's bookkeeping is never dropped.
const writeBufferSize = 128

// op is the policy bookkeeping a write leaves.
type op uint8

const (
	opAdd    op = iota + 1 // a new entry: track it
	opUpdate               // a new value: its weight and deadline may differ
	opRemove               // the entry left the table: stop tracking it
	opRetime               // a read moved the deadline earlier: re-file it
)

// record is one write's bookkeeping: what happened to which entry, and its
// weight after the write.
type record[K comparable, V any] struct {
	e      *entry.Entry[K, V]
	op     op
	weight uint32
}

// bufferLocked appends a write's bookkeeping to the write buffer. An
// unbounded shard keeps no policy: it buffers only what its timer wheel
// needs, for entries that have a timer section. The caller holds mu.
func (s *Shard[K, V]) bufferLocked(e *entry.Entry[K, V], o op, weight uint32) {
	if s.policy == nil && e.Deadline() == 0 && o == opAdd {
		return
	}
	s.writes = append(s.writes, record[K, V]{e, o, weight})
	s.pending.Store(int32(len(s.writes)))
}

// maintain applies the shard's pending work if the policy lock is free,
// and leaves it to the holder otherwise: no writer waits for it. A holder
// that finds more work on its way out takes it too, so a write whose
// try-lock failed is not left waiting for the next write; that is bounded
// to a few rounds, so one writer does not serve all the others for long.
func (s *Shard[K, V]) maintain(out *entry.List[K, V]) {
	for range 4 {
		if s.pending.Load() == 0 || !s.tryDrain(out) {
			return
		}
	}
}

// tryDrain drains the shard if the policy lock is free, and reports
// whether it was. Every lock around a call into the policy is released
// by a defer, here and wherever the shard calls it, so that a custom
// policy that calls runtime.Goexit leaves no lock held.
func (s *Shard[K, V]) tryDrain(out *entry.List[K, V]) bool {
	if !s.policyMu.TryLock() {
		return false
	}
	defer s.policyMu.Unlock()
	s.drainLocked(out)
	s.drains.Add(1)
	return true
}

// drainLocked applies the buffered reads and writes to the policy and the
// wheel, then expires and evicts. The caller holds policyMu, not mu.
func (s *Shard[K, V]) drainLocked(out *entry.List[K, V]) {
	s.drainReadsLocked()
	s.mu.Lock()
	batch := s.takeWritesLocked()
	s.mu.Unlock()
	s.applyLocked(batch)
	s.expireEvict(out)
}

// expireEvict is expireEvictLocked for a caller that holds policyMu only.
func (s *Shard[K, V]) expireEvict(out *entry.List[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireEvictLocked(out)
}

// maintainBothLocked is drainLocked for a caller that holds both locks.
func (s *Shard[K, V]) maintainBothLocked(out *entry.List[K, V]) {
	s.drainReadsLocked()
	s.applyLocked(s.takeWritesLocked())
	s.expireEvictLocked(out)
}

// takeWritesLocked empties the write buffer and returns what it held,
// swapping in the spare buffer, which applyLocked returns. The caller
// holds both locks.
func (s *Shard[K, V]) takeWritesLocked() []record[K, V] {
	batch := s.writes
	s.writes, s.spare = s.spare[:0], nil
	s.pending.Store(0)
	return batch
}

// applyLocked tells the policy and the wheel what the writes of batch
// did, in order. An entry the policy no longer tracks (evicted, or
// cleared) is left alone. The caller holds policyMu.
func (s *Shard[K, V]) applyLocked(batch []record[K, V]) {
	done := 0
	if s.custom {
		defer func() {
			// A custom policy's runtime.Goexit ends this goroutine in
			// the middle of the batch. The policy is broken by then
			// (its adapter's calls do nothing), so the record it
			// stopped at and the rest still reach the entries' flags
			// and the wheel, as they do after a panic.
			if done < len(batch) && eviction.Broken(s.policy) != nil {
				s.applyLocked(batch[done:])
			}
		}()
	}
	for ; done < len(batch); done++ {
		r := batch[done]
		e := r.e
		switch r.op {
		case opAdd:
			if s.policy != nil {
				e.SetWeight(r.weight)
				s.policy.Add(e)
				e.SetInPolicy(true)
			}
			s.scheduleLocked(e)
		case opUpdate:
			if s.policy != nil {
				if !e.InPolicy() {
					continue
				}
				old := e.Weight()
				e.SetWeight(r.weight)
				s.policy.Update(e, old)
			}
			s.scheduleLocked(e)
		case opRetime:
			if e.TimerSlot() != 0 { // still filed: not removed since
				s.scheduleLocked(e)
			}
		case opRemove:
			if s.policy != nil && e.InPolicy() {
				s.policy.Remove(e)
				e.SetInPolicy(false)
			}
			if s.wheel != nil {
				s.wheel.Remove(e)
			}
		}
	}
	clear(batch) // keep no removed entry alive
	s.spare = batch[:0]
}

// scheduleLocked files e in the timer wheel by its deadline, or takes it
// out if it has none any more. The caller holds policyMu.
func (s *Shard[K, V]) scheduleLocked(e *entry.Entry[K, V]) {
	if e.Deadline() == 0 && e.TimerSlot() == 0 {
		return
	}
	if s.wheel == nil {
		s.wheel = timerwheel.New[K, V](s.clock())
	}
	s.wheel.Schedule(e)
	s.timed.Store(s.wheel.Len() > 0)
}

// expireEvictLocked removes the entries whose deadlines have passed, as
// far as the wheel's resolution allows, then evicts until the shard fits
// its bound. The caller holds both locks.
func (s *Shard[K, V]) expireEvictLocked(out *entry.List[K, V]) {
	s.replaceBrokenLocked(out)
	var now int64
	if s.wheel != nil {
		now = s.clock()
		s.due = s.due[:0]
		s.wheel.Advance(now, func(e *entry.Entry[K, V]) { s.due = append(s.due, e) })
		for i, e := range s.due {
			s.due[i] = nil
			switch {
			case !e.Resident():
				// A write removed it; its record unlinks it.
			case e.RetireExpired(now):
				s.dropLocked(e, entry.ReasonExpired, out)
			default:
				s.wheel.Schedule(e) // read or written since it was filed
			}
		}
		s.timed.Store(s.wheel.Len() > 0)
	}
	for s.capacity > 0 && s.weight > s.capacity {
		v := s.policy.Evict()
		if v == nil {
			if s.replaceBrokenLocked(out) {
				continue // Evict panicked: ask the policy that took over
			}
			return
		}
		v.SetInPolicy(false)
		if s.wheel != nil {
			s.wheel.Remove(v)
		}
		if v.Resident() { // else a write removed it, and reported it
			if now == 0 && v.Deadline() != 0 {
				now = s.clock()
			}
			s.removeLocked(v, v.Retire(v.Claim(), now, entry.ReasonCapacity), out)
		}
	}
}

// replaceBrokenLocked replaces a user's policy that panicked (see
// eviction.Broken) with the built-in Default policy at the shard's bound,
// which takes over every entry in the table. The panic is kept for the
// caller to re-raise: recorded in out, or, when out is nil (a walk of the
// policy, which reports no removals), until the next call with a list.
// It reports whether it replaced the policy: O(entries) then, once;
// otherwise two tests. The caller holds both locks.
func (s *Shard[K, V]) replaceBrokenLocked(out *entry.List[K, V]) bool {
	replaced := false
	if s.custom {
		if p := eviction.Broken(s.policy); p != nil {
			s.replacePolicyLocked()
			replaced = true
			if p != eviction.ErrPolicyExited { // its goroutine has ended
				s.brokenPanic = p
			}
		}
	}
	if out != nil && s.brokenPanic != nil {
		out.SetPanic(s.brokenPanic)
		s.brokenPanic = nil
	}
	return replaced
}

// replacePolicyLocked gives the shard a built-in Default policy that
// tracks every entry in the table. The caller holds both locks.
func (s *Shard[K, V]) replacePolicyLocked() {
	// The broken policy ignores what is pending, but applying it brings
	// the entries' flags up to date, and leaves nothing buffered that
	// would reach the new policy twice: the table alone says what it
	// tracks.
	s.applyLocked(s.takeWritesLocked())
	s.policy, s.custom = eviction.New[K, V](eviction.Default, s.capacity), false
	s.table.Range(func(e *entry.Entry[K, V]) bool {
		e.SetWeight(e.StoredWeight())
		s.policy.Add(e)
		e.SetInPolicy(true)
		return true
	})
}

// dropLocked removes an entry, retired for reason, that the policy may
// still track. The caller holds both locks.
func (s *Shard[K, V]) dropLocked(e *entry.Entry[K, V], reason entry.Reason, out *entry.List[K, V]) {
	if s.policy != nil && e.InPolicy() {
		s.policy.Remove(e)
		e.SetInPolicy(false)
	}
	if s.wheel != nil {
		s.wheel.Remove(e)
	}
	s.removeLocked(e, reason, out)
}

// removeLocked removes an entry, retired for reason (see entry.Retire),
// that neither the policy nor the wheel holds any more and queues it for
// the listener. Its policy links
// are free now, so the queue reuses them and allocates nothing. The
// caller holds both locks.
func (s *Shard[K, V]) removeLocked(e *entry.Entry[K, V], reason entry.Reason, out *entry.List[K, V]) {
	s.table.Delete(e)
	s.weight -= int64(e.StoredWeight())
	s.removed[reason]++
	out.PushBack(e)
}

// Flush applies every pending read and write to the policy and the wheel,
// expires what is due and evicts down to the exact bound, before it
// returns; it waits for maintenance running on another goroutine. It
// returns the removed entries for the caller to report.
func (s *Shard[K, V]) Flush() (removed entry.List[K, V]) {
	s.lockBoth()
	defer s.unlockBoth()
	s.maintainBothLocked(&removed)
	return removed
}

// Expire is Flush for the expiry goroutine: it returns at once, without
// locking, when nothing is scheduled and no write is pending.
func (s *Shard[K, V]) Expire() (removed entry.List[K, V]) {
	if !s.timed.Load() && s.pending.Load() == 0 {
		return removed
	}
	return s.Flush()
}

// Clear removes every entry, reporting each with ReasonCleared (or
// ReasonExpired if its deadline had passed), and supersedes every load in
// flight.
func (s *Shard[K, V]) Clear() (removed entry.List[K, V]) {
	s.lockBoth()
	defer s.unlockBoth()
	s.clearLocked(&removed)
	return removed
}

// Close clears the shard and makes every later write, and every later
// Begin, a no-op. It returns once no goroutine of the shard is running.
func (s *Shard[K, V]) Close() (removed entry.List[K, V]) {
	// No drain starts after this, and those running finish first: they
	// never wait for a lock.
	s.drainMu.Lock()
	s.drain.Store(drainShut)
	s.drainMu.Unlock()
	s.drainers.Wait()
	s.lockBoth()
	defer s.unlockBoth()
	s.closed = true
	s.clearLocked(&removed)
	return removed
}

// clearLocked empties the shard. Pending bookkeeping and buffered reads
// name entries about to go: they are dropped, and the policy forgets
// everything at once. The caller holds both locks.
func (s *Shard[K, V]) clearLocked(out *entry.List[K, V]) {
	now := s.clock()
	s.supersedeAllLocked()
	for i := range s.stripes {
		s.stripes[i].reads.Drain(func(*entry.Entry[K, V]) {})
	}
	for _, r := range s.writes {
		// Entries writes removed are out of the table, but the policy
		// tracked them until now.
		r.e.SetInPolicy(false)
		r.e.SetTimerSlot(0)
	}
	clear(s.writes)
	s.writes = s.writes[:0]
	s.pending.Store(0)
	if s.policy != nil {
		// Resetting the policy drops its links to the removed entries in
		// one step, and reuses its memory.
		s.policy.Reset()
	}
	s.table.Range(func(e *entry.Entry[K, V]) bool {
		e.SetInPolicy(false)
		e.SetTimerSlot(0)
		reason := e.Retire(e.Claim(), now, entry.ReasonCleared)
		s.removed[reason]++
		out.PushBack(e)
		return true
	})
	s.table.Clear()
	s.weight = 0
	s.deadlines = false
	s.wheel = nil
	s.timed.Store(false)
	s.replaceBrokenLocked(out) // a Reset that panicked
}

// drainReadsLocked hands the buffered reads to the policy. The caller
// holds policyMu.
func (s *Shard[K, V]) drainReadsLocked() {
	if s.policy != nil {
		for i := range s.stripes {
			s.stripes[i].reads.Drain(s.accessLocked)
		}
	}
}

func (s *Shard[K, V]) accessLocked(e *entry.Entry[K, V]) {
	// A read may name an entry the policy does not track yet (its write
	// is still buffered) or any more.
	if e.InPolicy() {
		s.policy.Access(e)
	}
}
