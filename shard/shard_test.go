package shard

import (
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
)

type clock struct{ now int64 }

func (c *clock) read() int64 { return c.now }

func newShard(capacity int64) (*Shard[string, int], *clock) {
	clk := &clock{now: 1}
	return New[string, int](Config{Capacity: capacity, Policy: eviction.LRU, KeepReplaced: true, TrackWrites: true, Clock: clk.read}), clk
}

func reasons(l entry.List[string, int]) map[string]entry.Reason {
	out := map[string]entry.Reason{}
	for e := l.Front(); e != nil; e = l.Next(e) {
		out[e.Key()] = e.Reason()
	}
	return out
}

// Apply refuses to act on a version that a write has since replaced, which
// is what makes Compute's optimistic loop atomic.
func TestApplyRefusesAStaleVersion(t *testing.T) {
	s, _ := newShard(10)
	s.Set("k", 0, 1, 1, 0, false)
	_, _, ver := s.Lookup("k", 0)
	s.Set("k", 0, 2, 1, 0, false) // in place: same entry, new generation
	if ok, _ := s.Apply("k", 0, ver, OpSet, 3, 1, 0); ok {
		t.Fatal("Apply accepted a version older than the last write")
	}
	_, _, ver = s.Lookup("k", 0)
	if ok, _ := s.Apply("k", 0, ver, OpSet, 3, 1, 0); !ok {
		t.Fatal("Apply refused the current version")
	}
	if v, _ := s.Peek("k", 0); v != 3 {
		t.Fatalf("value %d after Apply, want 3", v)
	}
	_, _, absent := s.Lookup("nope", 0)
	s.Set("nope", 0, 1, 1, 0, false)
	if ok, _ := s.Apply("nope", 0, absent, OpSet, 9, 1, 0); ok {
		t.Fatal("Apply for an absent key succeeded after the key was stored")
	}
}

// Reads buffered since the last write reach the policy before the write
// evicts, so a key just read is not the victim.
func TestBufferedReadsCountBeforeEviction(t *testing.T) {
	s, _ := newShard(2)
	s.Set("a", 0, 1, 1, 0, false)
	s.Set("b", 0, 2, 1, 0, false)
	s.Get("a", 0)
	_, _, removed := s.Set("c", 0, 3, 1, 0, false)
	if r := reasons(removed); len(r) != 1 || r["b"] != entry.ReasonCapacity {
		t.Fatalf("removed %v, want b for capacity", r)
	}
}

func TestOversizedEntryIsRejectedAndReplacesTheOld(t *testing.T) {
	s, _ := newShard(10)
	s.Set("k", 0, 1, 1, 0, false)
	_, _, removed := s.Set("k", 0, 2, 11, 0, false)
	r := reasons(removed)
	if len(r) != 1 || removed.Len() != 2 || s.Len() != 0 {
		t.Fatalf("removed %d entries (%v), %d left; want the old value replaced and the new one rejected", removed.Len(), r, s.Len())
	}
	first, second := removed.Front(), removed.Back()
	if first.Value() != 1 || first.Reason() != entry.ReasonReplaced || second.Value() != 2 || second.Reason() != entry.ReasonCapacity {
		t.Fatalf("got (%d %v) then (%d %v)", first.Value(), first.Reason(), second.Value(), second.Reason())
	}
}

func TestExpireSkipsShardsWithNothingScheduled(t *testing.T) {
	s, clk := newShard(0)
	s.Set("forever", 0, 1, 1, 0, false)
	if s.timed.Load() {
		t.Fatal("a shard without deadlines reports scheduled entries")
	}
	s.Set("soon", 0, 2, 1, 10, false)
	if !s.timed.Load() {
		t.Fatal("a scheduled entry is not reported")
	}
	clk.now += 2 << 30 // two wheel ticks
	if r := reasons(s.Expire()); len(r) != 1 || r["soon"] != entry.ReasonExpired {
		t.Fatalf("Expire removed %v", r)
	}
	if s.timed.Load() {
		t.Fatal("an empty wheel is still reported as scheduled")
	}
}

func TestDeadlineAt(t *testing.T) {
	cases := []struct{ now, ttl, want int64 }{
		{5, 0, 0},
		{5, 10, 15},
		{5, -5, -1},  // would be 0, which means "none"
		{5, -10, -5}, // already past
		{5, 1<<63 - 1, 0},
	}
	for _, c := range cases {
		if got := deadlineAt(c.now, c.ttl); got != c.want {
			t.Errorf("deadlineAt(%d, %d) = %d, want %d", c.now, c.ttl, got, c.want)
		}
	}
}

// A shard that keeps no write times makes an entry with a timer section
// only for a write that brings a deadline; an entry made without one is
// given one by the first such write, in place, and then expires like any
// other.
func TestDeadlineOnAnEntryMadeWithoutOne(t *testing.T) {
	clk := &clock{now: 1}
	s := New[string, int](Config{Capacity: 10, Policy: eviction.LRU, Clock: clk.read})
	s.Set("plain", 0, 1, 1, 0, false)
	s.Set("timed", 1, 2, 1, 1000, false)
	plain := s.table.Get(0, "plain")
	s.Set("plain", 0, 3, 1, 500, false) // grows a timer section
	if s.table.Get(0, "plain") != plain {
		t.Fatal("a write with a deadline replaced the entry")
	}
	if d := plain.Deadline(); d != 501 {
		t.Fatalf("deadline %d, want 501", d)
	}
	clk.now = 1 << 31 // past both deadlines and a wheel tick
	removed := s.Expire()
	if r := reasons(removed); len(r) != 2 || r["plain"] != entry.ReasonExpired || r["timed"] != entry.ReasonExpired {
		t.Fatalf("removed %v, want plain and timed expired", r)
	}
	if s.Len() != 0 {
		t.Fatalf("%d entries left", s.Len())
	}
}
