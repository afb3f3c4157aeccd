package shard

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/readbuf"
)

// One goroutine's reads use one stripe, so they reach the policy in order;
// a reader that fills a buffer while the policy lock is busy widens the
// stripes.
func TestStripesWidenOnlyOnContention(t *testing.T) {
	s, _ := newShard(100)
	s.Set("k", 0, 1, 1, 0, false)
	for range 10 * readbuf.Size {
		s.Get("k", 0)
	}
	if n := s.active.Load(); n != 1 {
		t.Fatalf("uncontended reads widened the stripes to %d", n)
	}
	if len(s.stripes) < 2 {
		t.Skip("GOMAXPROCS 1 leaves one stripe: nothing to widen")
	}
	s.policyMu.Lock() // stands in for another goroutine's maintenance
	for range readbuf.Size {
		s.Get("k", 0)
	}
	s.policyMu.Unlock()
	if n := s.active.Load(); n != 2 {
		t.Fatalf("a full buffer behind a busy lock left %d stripes in use, want 2", n)
	}
	// Hits are counted on every stripe, sampled for the policy or not.
	if c := s.Counters(); c.Hits != 11*readbuf.Size {
		t.Fatalf("Hits = %d, want %d", c.Hits, 11*readbuf.Size)
	}
}

// accessCounter is an LRU-less policy that counts the reads it is told of.
type accessCounter struct {
	accesses atomic.Int64
	tracked  []eviction.Handle[string, int]
}

func (p *accessCounter) Add(e eviction.Handle[string, int])          { p.tracked = append(p.tracked, e) }
func (p *accessCounter) Access(eviction.Handle[string, int])         { p.accesses.Add(1) }
func (p *accessCounter) Update(eviction.Handle[string, int], uint32) {}
func (p *accessCounter) Remove(e eviction.Handle[string, int]) {
	p.tracked = slices.DeleteFunc(p.tracked, func(h eviction.Handle[string, int]) bool { return h == e })
}
func (p *accessCounter) Evict() (eviction.Handle[string, int], bool) {
	if len(p.tracked) == 0 {
		return eviction.Handle[string, int]{}, false
	}
	e := p.tracked[0]
	p.tracked = p.tracked[1:]
	return e, true
}
func (p *accessCounter) SetCapacity(int64)                                     {}
func (p *accessCounter) Ordered(bool, func(eviction.Handle[string, int]) bool) {}

// Once readers contend on one shard of a cache, its other shards spread
// their readers too, and a read that fills a buffer leaves the drain to a
// goroutine of the shard's: no Get waits for it, the reads still reach
// the policy, and Close waits for that goroutine.
func TestContendedReadsDrainOnAGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		readers := new(Readers)
		clk := &clock{now: 1}
		cfg := Config{Capacity: 10, Policy: eviction.LRU, Clock: clk.read, Readers: readers}
		other := New[string, int](cfg)
		counter := new(accessCounter)
		s := NewWithPolicy(cfg, eviction.NewCustom(func(int64) eviction.Custom[string, int] { return counter }, 10))
		if len(s.stripes) < 2 {
			t.Skip("GOMAXPROCS 1 leaves one stripe: readers never spread")
		}
		other.Set("x", 0, 1, 1, 0, false)
		other.policyMu.Lock() // stands in for another goroutine's maintenance
		for range readbuf.Size {
			other.Get("x", 0)
		}
		other.policyMu.Unlock()
		if !readers.contend.Load() {
			t.Fatal("a full buffer behind a busy lock did not mark the cache's readers as contending")
		}

		s.Set("a", 0, 1, 1, 0, false)
		// While the policy lock is held, a Get that drained would find it
		// busy; the drain's goroutine waits for nothing either, so hold it
		// only while reading and let the last buffer fill after.
		s.policyMu.Lock()
		for range 16 * 4 * readbuf.Size {
			s.Get("a", 0)
		}
		s.policyMu.Unlock()
		if n := s.active.Load(); n < 2 {
			t.Fatalf("%d stripes in use on a shard of a cache whose readers contend, want at least 2", n)
		}
		synctest.Wait()
		before := counter.accesses.Load()
		// Fill buffers again with the lock free: the reads reach the
		// policy without a write to carry them.
		for range 16 * 4 * readbuf.Size {
			s.Get("a", 0)
		}
		synctest.Wait() // the drain's goroutine has run
		if got := counter.accesses.Load(); got <= before {
			t.Fatalf("the policy heard of %d reads after full buffers, %d before: nobody drained them", got, before)
		}
		if s.drain.Load() != drainIdle {
			t.Fatalf("drain state %d after the drain ran, want idle", s.drain.Load())
		}

		s.Close()
		if s.drain.Load() != drainShut {
			t.Fatal("Close left drains possible")
		}
		for range 16 * 4 * readbuf.Size {
			s.Get("a", 0) // full buffers after Close start no goroutine
		}
	})
}

// Close may come while contended readers are filling buffers and starting
// drains: it shuts drains off, waits for the running ones, and no drain
// starts after it returns.
func TestCloseWhileReadersStartDrains(t *testing.T) {
	for range 40 {
		readers := new(Readers)
		readers.contend.Store(true)
		clk := &clock{now: 1}
		s := New[string, int](Config{Capacity: 10, Policy: eviction.LRU, Clock: clk.read, Readers: readers})
		s.Set("a", 0, 1, 1, 0, false)
		var stop atomic.Bool
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for !stop.Load() {
					s.Get("a", 0)
				}
			})
		}
		for s.Counters().Hits < 16*4*readbuf.Size {
			runtime.Gosched() // let the readers fill buffers first
		}
		s.Close()
		if s.drain.Load() != drainShut {
			t.Fatal("Close left drains possible")
		}
		stop.Store(true)
		wg.Wait()
	}
}
