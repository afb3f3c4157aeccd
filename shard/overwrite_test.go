package shard

import (
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
)

// newQuietShard is a bounded shard nobody listens to: overwrites of
// resident entries may do without its data lock.
func newQuietShard(cfg Config) (*Shard[string, int], *clock) {
	clk := &clock{now: 1}
	cfg.Clock, cfg.Policy = clk.read, eviction.LRU
	if cfg.Capacity == 0 {
		cfg.Capacity = 10
	}
	return New[string, int](cfg), clk
}

// An overwrite that changes nothing but the value, and whose entry has
// not expired, is done by overwrite; everything else needs the lock.
func TestOverwriteTakesTheLockOnlyWhenItMust(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   Config
		setup func(s *Shard[string, int], clk *clock)
		// the overwrite tried: weight and lifetime
		weight uint32
		ttl    int64
		want   bool
	}{
		{name: "plain", weight: 1, want: true},
		{name: "someone listens", cfg: Config{KeepReplaced: true}, weight: 1},
		{name: "load in flight", weight: 1, setup: func(s *Shard[string, int], _ *clock) {
			s.Begin("other", 0)
		}},
		{name: "weight changes", cfg: Config{Weighted: true}, weight: 2},
		{name: "same weight", cfg: Config{Weighted: true}, weight: 1, want: true},
		{name: "heavier than the shard", cfg: Config{Weighted: true}, weight: 4, setup: func(s *Shard[string, int], _ *clock) {
			s.Set("k", 0, 1, 4, 0, false)
			s.mu.Lock()
			s.setCapacityLocked(3, true) // a resize left k heavier than the bound
			s.mu.Unlock()
		}},
		{name: "gains a deadline", weight: 1, ttl: 50},
		{name: "later deadline", weight: 1, ttl: 50, want: true, setup: func(s *Shard[string, int], _ *clock) {
			s.Set("k", 0, 1, 1, 20, false)
		}},
		{name: "earlier deadline", weight: 1, ttl: 5, setup: func(s *Shard[string, int], _ *clock) {
			s.Set("k", 0, 1, 1, 20, false)
		}},
		{name: "loses its deadline", weight: 1, ttl: 0, setup: func(s *Shard[string, int], _ *clock) {
			s.Set("k", 0, 1, 1, 20, false)
		}},
		{name: "expired", weight: 1, ttl: 50, setup: func(s *Shard[string, int], clk *clock) {
			s.Set("k", 0, 1, 1, 20, false)
			clk.now += 20
		}},
		{name: "negative", weight: 1, setup: func(s *Shard[string, int], _ *clock) {
			s.Finish("k", 0, s.beginForTest("k"), OutcomeNegative, 0, 1, 0)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, clk := newQuietShard(c.cfg)
			s.Set("k", 0, 1, 1, 0, false)
			if c.setup != nil {
				c.setup(s, clk)
			}
			e := s.table.Get(0, "k")
			if e == nil {
				t.Fatal("k is not resident")
			}
			before := s.Counters()
			got := s.overwrite(e, 7, c.weight, c.ttl)
			if got != c.want {
				t.Fatalf("overwrite = %v, want %v", got, c.want)
			}
			after := s.Counters()
			if !got {
				if after.Sets != before.Sets {
					t.Fatal("a refused overwrite was counted")
				}
				return
			}
			if v, ok := s.Peek("k", 0); !ok || v != 7 {
				t.Fatalf("Peek after the overwrite = %d, %v; want 7", v, ok)
			}
			if after.Sets != before.Sets+1 || after.Removed[entry.ReasonReplaced] != before.Removed[entry.ReasonReplaced]+1 {
				t.Fatalf("counters %+v after %+v: want one more set and one more replaced", after, before)
			}
		})
	}
}

// beginForTest registers a load of key, as a miss that leads it does.
func (s *Shard[K, V]) beginForTest(key K) *Flight[V] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registerLocked(key)
}

// A removal that claims the entry first wins: the overwrite finds the
// entry retired and leaves it alone, and Set then stores the value as a
// new entry. Either order leaves the key readable with the value set.
func TestOverwriteOfARemovedEntryGoesTheLockedWay(t *testing.T) {
	s, _ := newQuietShard(Config{})
	s.Set("k", 0, 1, 1, 0, false)
	stale := s.table.Get(0, "k")
	s.Delete("k", 0)
	if s.overwrite(stale, 2, 1, 0) {
		t.Fatal("overwrite wrote into a deleted entry")
	}
	if v, _ := stale.Load(); v != 1 {
		t.Fatalf("the deleted entry holds %d, want its last value 1", v)
	}
	s.Set("k", 0, 3, 1, 0, false)
	if v, ok := s.Peek("k", 0); !ok || v != 3 {
		t.Fatalf("Peek = %d, %v after Set; want 3", v, ok)
	}
	if s.table.Get(0, "k") == stale {
		t.Fatal("Set reused the deleted entry")
	}
}

// Compute compares versions under the entry's claim, so an overwrite
// without the lock between Compute's read and its write is never lost:
// the write makes the version stale and Apply refuses it.
func TestApplyRefusesAVersionOverwrittenWithoutTheLock(t *testing.T) {
	s, _ := newQuietShard(Config{})
	s.Set("k", 0, 1, 1, 0, false)
	_, _, ver := s.Lookup("k", 0)
	if !s.overwrite(s.table.Get(0, "k"), 2, 1, 0) {
		t.Fatal("the overwrite took the lock")
	}
	if ok, _ := s.Apply("k", 0, ver, OpSet, 3, 1, 0); ok {
		t.Fatal("Apply accepted the version before an overwrite")
	}
	if v, _ := s.Peek("k", 0); v != 2 {
		t.Fatalf("value %d, want the overwrite's 2", v)
	}
}
