package shard

import "github.com/stratacache/cache/entry"

// This file is the data side of writes: what a write does under the data
// lock. Its policy bookkeeping goes to the write buffer (maintain.go).

// Set stores value under key with the given weight and lifetime (ttl in
// nanoseconds: 0 never expires, negative is already expired). With
// onlyIfAbsent, a live value already stored is kept, counted as a read, and
// returned with found true; a negative entry does not count as a value.
// A store supersedes any load of key in flight.
func (s *Shard[K, V]) Set(key K, hash uint64, value V, weight uint32, ttl int64, onlyIfAbsent bool) (cur V, found bool, removed entry.List[K, V]) {
	return s.set(key, hash, value, weight, ttl, onlyIfAbsent, 0)
}

// Restore is Set for a snapshot load: the value counts as written age
// nanoseconds ago, not now, so that refresh-ahead sees its true age. Only
// entries that keep write times (see savedEntry.Age) keep the age.
func (s *Shard[K, V]) Restore(key K, hash uint64, value V, weight uint32, ttl, age int64) (removed entry.List[K, V]) {
	_, _, removed = s.set(key, hash, value, weight, ttl, false, max(age, 0))
	return removed
}

func (s *Shard[K, V]) set(key K, hash uint64, value V, weight uint32, ttl int64, onlyIfAbsent bool, age int64) (cur V, found bool, removed entry.List[K, V]) {
	// Probe the table before locking, as reads do: an overwrite then
	// finds its entry without a probe (and its cache misses) under the
	// lock, or needs no lock at all. Entries leave the table only under
	// the lock, so one still resident there is the key's current entry.
	seen := s.table.Get(hash, key)
	// The overwrite without the lock stores the time now: not for a
	// backdated write.
	if seen != nil && !onlyIfAbsent && age == 0 && s.overwrite(seen, value, weight, ttl) {
		return cur, false, removed
	}
	var w writer[K, V]
	for s.lockWrite(&w); ; {
		w.age = age
		if s.closed {
			break
		}
		now := s.nowLocked(ttl)
		e := seen
		if e == nil || !e.Resident() {
			e = s.table.Get(hash, key)
		}
		if onlyIfAbsent && e != nil {
			if v, m := e.Load(); !m.Negative && (m.Deadline == 0 || m.Deadline > now) {
				s.unlockWrite(&w, &removed)
				s.recordRead(e)
				return v, true, removed
			}
		}
		if !s.roomLocked(&w, e, weight) {
			continue
		}
		s.supersedeLocked(key)
		s.storeLocked(&w, key, hash, value, weight, ttl, now, e, false, &removed)
		break
	}
	s.unlockWrite(&w, &removed)
	return cur, false, removed
}

// overwrite stores value over e, a resident entry Set found without the
// data lock, if the write can do without that lock, and reports whether it
// did. It can when nothing but e changes: no load of a key is in flight
// (one might have to be superseded), nobody listens to removals (the old
// value would have to be copied out under the lock), the weight stays
// the same and the deadline does not move earlier, so the bound and the
// timer wheel need no news, and e's old value has not expired (its
// removal is reported as expiry). The entry's claim (see entry.Claim)
// keeps other writers of e out, and a removal of e, which claims it too,
// either comes first, and the write goes the locked way, or after. The
// policy hears of the write as a read.
func (s *Shard[K, V]) overwrite(e *entry.Entry[K, V], value V, weight uint32, ttl int64) bool {
	if s.keepReplaced || s.flying.Load() != 0 || int64(weight) > s.limit.Load() {
		return false
	}
	s.readLock()
	version := e.Claim()
	done := s.overwriteClaimed(e, version, value, weight, ttl)
	s.readUnlock()
	if done {
		st, _ := s.stripe()
		st.overwrites.Add(1)
		s.recordRead(e)
	}
	return done
}

// overwriteClaimed is overwrite once it holds e's claim, version: it
// commits the write, or abandons the claim and reports false.
func (s *Shard[K, V]) overwriteClaimed(e *entry.Entry[K, V], version uint32, value V, weight uint32, ttl int64) bool {
	if !e.Resident() || e.Negative() || e.StoredWeight() != weight {
		e.Abandon(version)
		return false
	}
	old := e.Deadline()
	var now int64
	if s.full || ttl != 0 || old != 0 {
		now = s.clock()
	}
	deadline := s.deadlineFor(now, ttl, false)
	if (old != 0 && old <= now) || !sameBookkeeping(weight, weight, deadline, old) {
		e.Abandon(version)
		return false
	}
	e.Commit(version, value, weight, now, deadline, ttl, false)
	return true
}

// sameBookkeeping reports whether a write that changes an entry's weight
// from oldWeight to weight and its deadline from oldDeadline to deadline
// leaves the bound and the timer wheel as they were: the weight is the
// same, and the deadline too, or later (the wheel finds a later deadline
// by itself when the old one comes due).
func sameBookkeeping(weight, oldWeight uint32, deadline, oldDeadline int64) bool {
	return weight == oldWeight && (deadline == oldDeadline || (oldDeadline != 0 && deadline > oldDeadline))
}

// deadlineFor is the deadline a write at now with lifetime ttl gives a
// value (negative false) or a negative entry.
func (s *Shard[K, V]) deadlineFor(now, ttl int64, negative bool) int64 {
	deadline := deadlineAt(now, ttl)
	if deadline == 0 && s.readExpiry && !negative {
		deadline = entry.Never // a read may give it a lifetime (Retime)
	}
	return deadline
}

// Delete removes key, negative entry included, and reports whether a live
// value was removed. It supersedes any load of key in flight.
func (s *Shard[K, V]) Delete(key K, hash uint64) (found bool, removed entry.List[K, V]) {
	var w writer[K, V]
	s.lockWrite(&w)
	s.supersedeLocked(key)
	if e := s.table.Get(hash, key); e != nil {
		reason := s.unlinkLocked(e, e.Claim(), s.nowLocked(0), entry.ReasonDeleted, &removed)
		found = reason == entry.ReasonDeleted && !e.Negative()
	}
	s.unlockWrite(&w, &removed)
	return found, removed
}

// Op is what [Shard.Apply] does to a key.
type Op uint8

// The operations.
const (
	OpKeep Op = iota
	OpSet
	OpDelete
)

// Apply performs op on key if the key is still at version ver, and reports
// whether it did; otherwise the caller looks the key up again and retries.
// This lets a compute function run with no lock held. OpSet and OpDelete
// supersede any load of key in flight.
func (s *Shard[K, V]) Apply(key K, hash uint64, ver Version[K, V], op Op, value V, weight uint32, ttl int64) (applied bool, removed entry.List[K, V]) {
	var w writer[K, V]
	for s.lockWrite(&w); ; {
		e := s.table.Get(hash, key)
		if e != ver.e {
			break
		}
		if s.closed {
			op = OpKeep // a closed shard stores nothing
		} else if op == OpSet && !s.roomLocked(&w, e, weight) {
			continue
		}
		// The version is compared under the entry's claim: an
		// overwrite without the data lock cannot slip in between.
		var version uint32
		if e != nil {
			if version = e.Claim(); version != ver.gen {
				e.Abandon(version)
				break
			}
		}
		applied = true
		now := s.nowLocked(ttl)
		switch {
		case op == OpKeep:
			if e != nil {
				e.Abandon(version)
			}
		case op == OpSet:
			s.supersedeLocked(key)
			s.storeClaimedLocked(&w, key, hash, value, weight, ttl, now, e, version, false, &removed)
		default:
			s.supersedeLocked(key)
			if e != nil {
				s.unlinkLocked(e, version, now, entry.ReasonDeleted, &removed)
			}
		}
		break
	}
	s.unlockWrite(&w, &removed)
	return applied, removed
}

// writer is the state of one write: whether it holds the policy lock as
// well as the data lock (see roomLocked), and the entry of an overwrite
// that reaches the policy as a read (see storeLocked).
type writer[K comparable, V any] struct {
	policy bool
	hint   *entry.Entry[K, V]
	// age backdates the value's write time (Restore); 0 for other writes.
	age int64
}

// lockWrite takes the data lock for a write.
func (s *Shard[K, V]) lockWrite(w *writer[K, V]) {
	*w = writer[K, V]{}
	s.mu.Lock()
}

// roomLocked reports whether a write storing weight over e (nil: a new
// key) may go ahead: it may as long as it leaves the shard within its
// bound plus its slack and the write buffer has room. Otherwise it trades
// the data lock for both locks, policy lock first, and reports false: the
// caller looks again and writes holding both, and unlockWrite then
// applies every pending write and evicts down to the exact bound before
// it lets go. That is the only time a writer waits for policy work.
func (s *Shard[K, V]) roomLocked(w *writer[K, V], e *entry.Entry[K, V], weight uint32) bool {
	if w.policy {
		return true
	}
	delta := int64(weight)
	if e != nil {
		delta -= int64(e.StoredWeight())
	}
	if len(s.writes) < writeBufferSize && (s.capacity == 0 || s.weight+delta <= s.capacity+s.slack) {
		return true
	}
	s.mu.Unlock()
	s.lockBoth()
	s.waited++
	w.policy = true
	return false
}

// maintainAndUnlock maintains the shard, then releases both locks (by
// defer: see tryDrain).
func (s *Shard[K, V]) maintainAndUnlock(out *entry.List[K, V]) {
	defer s.unlockBoth()
	s.maintainBothLocked(out)
}

// unlockWrite ends a write: it releases the data lock and maintains the
// shard if the policy lock is free, or, for a write that holds both,
// maintains it before releasing them.
func (s *Shard[K, V]) unlockWrite(w *writer[K, V], out *entry.List[K, V]) {
	if w.policy {
		s.maintainAndUnlock(out)
	} else {
		s.mu.Unlock()
		s.maintain(out)
	}
	if w.hint != nil {
		s.recordRead(w.hint)
	}
}

// nowLocked returns the time when a write may need it: when the shard
// keeps write times or has entries with deadlines, or the write brings a
// lifetime; otherwise 0, saving a clock read (tens of nanoseconds on some
// virtual machines, a tenth of a write).
func (s *Shard[K, V]) nowLocked(ttl int64) int64 {
	if s.full || s.deadlines || ttl != 0 {
		return s.clock()
	}
	return 0
}

// storeLocked writes value under key, over e if e is the key's current
// entry (nil if none). With negative it stores a negative entry (value is
// then the zero V). A value a negative entry overwrites is reported as
// deleted, not replaced; a negative entry overwritten by anything is
// counted but not reported, having no value. The caller holds mu.
func (s *Shard[K, V]) storeLocked(w *writer[K, V], key K, hash uint64, value V, weight uint32, ttl int64, now int64, e *entry.Entry[K, V], negative bool, out *entry.List[K, V]) {
	var version uint32
	if e != nil {
		version = e.Claim()
	}
	s.storeClaimedLocked(w, key, hash, value, weight, ttl, now, e, version, negative, out)
}

// storeClaimedLocked is storeLocked for a caller that holds e's claim,
// version, if e is not nil; it ends the claim.
func (s *Shard[K, V]) storeClaimedLocked(w *writer[K, V], key K, hash uint64, value V, weight uint32, ttl int64, now int64, e *entry.Entry[K, V], version uint32, negative bool, out *entry.List[K, V]) {
	s.sets++
	if s.capacity > 0 && int64(weight) > s.capacity {
		// Storing it would flush the whole shard and then the entry
		// itself; report it as evicted at once instead.
		if e != nil {
			s.unlinkLocked(e, version, now, entry.ReasonReplaced, out)
		}
		rejected := entry.New(key, value, hash, weight)
		rejected.Write(value, weight, now, 0, 0, negative)
		s.removed[entry.ReasonCapacity]++
		rejected.MarkRemoved(entry.ReasonCapacity)
		out.PushBack(rejected)
		return
	}
	deadline := s.deadlineFor(now, ttl, negative)
	s.deadlines = s.deadlines || deadline != 0
	written := now
	if s.full {
		written -= w.age
	}
	if e != nil {
		why := entry.ReasonReplaced
		if negative {
			why = entry.ReasonDeleted
		}
		reason := reasonAt(e, now, why)
		s.removed[reason]++
		if s.keepReplaced && !e.Negative() {
			out.PushBack(copyRemoved(e, reason))
		}
		oldWeight, oldDeadline := e.StoredWeight(), e.Deadline()
		s.weight += int64(weight) - int64(oldWeight)
		e.Commit(version, value, weight, written, deadline, ttl, negative)
		if sameBookkeeping(weight, oldWeight, deadline, oldDeadline) {
			// The write reaches the policy as a read does, as a hint,
			// which keeps hot keys' overwrites out of the policy's
			// queue. unlockWrite records it once the data lock is
			// released.
			w.hint = e
			return
		}
		s.bufferLocked(e, opUpdate, weight)
		return
	}
	switch {
	case s.full:
		e = entry.NewFull(key, value, hash, weight)
	case deadline != 0:
		// Its timer section in the same allocation. An entry made
		// without one grows one if a later write brings a deadline.
		e = entry.NewTimed(key, value, hash, weight)
	default:
		e = entry.New(key, value, hash, weight)
	}
	e.Write(value, weight, written, deadline, ttl, negative)
	e.MarkResident()
	s.table.Insert(e)
	s.weight += int64(weight)
	s.bufferLocked(e, opAdd, weight)
}

// unlinkLocked removes e from the table on a write's behalf, ending the
// claim on it, version, that the caller holds, and returns why it left:
// ReasonExpired if its deadline had passed at now, otherwise. Readers miss
// it from now on, and its removal from the policy and the wheel waits in
// the write buffer. The policy still links e, so the listener hears of a
// copy (only if there is a listener). The caller holds mu.
func (s *Shard[K, V]) unlinkLocked(e *entry.Entry[K, V], version uint32, now int64, otherwise entry.Reason, out *entry.List[K, V]) entry.Reason {
	reason := e.Retire(version, now, otherwise)
	s.table.Delete(e)
	s.weight -= int64(e.StoredWeight())
	s.removed[reason]++
	s.bufferLocked(e, opRemove, 0)
	if s.keepReplaced && !e.Negative() {
		out.PushBack(copyRemoved(e, reason))
	}
	return reason
}

// copyRemoved returns a new entry holding e's key and value, marked
// removed for reason, to report in e's place. The caller holds mu.
func copyRemoved[K comparable, V any](e *entry.Entry[K, V], reason entry.Reason) *entry.Entry[K, V] {
	c := entry.New(e.Key(), e.Value(), e.Hash(), e.StoredWeight())
	c.MarkRemoved(reason)
	return c
}
