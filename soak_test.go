package cache

import (
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The soak test runs every operation of the cache from many goroutines for
// a while, then checks the guarantees the README makes, whatever the
// interleaving was. The normal suite runs it briefly; a long run is
//
//	go test -run TestSoak -soak.duration=10m -race .
//
// TestStress (stress_test.go) checks a fixed number of core operations;
// this test adds loading (errors, panics, not-found answers, negative
// entries, bulk loads), hooks that use the cache, Clear, and the checks
// that only make sense after a long run: goroutines and memory come back.
var soakDuration = flag.Duration("soak.duration", 2*time.Second,
	"how long TestSoak runs its workers (e.g. 10m for a long run)")

// Every value the soak stores is unique: its sequence number shifted left
// past the key, so a value also says which key it was made for.
const (
	soakKeys     = 4096
	soakKeyBits  = 16
	soakCapacity = 1024
)

func soakValue(seq uint64, key int) int64 { return int64(seq<<soakKeyBits) | int64(key) }
func soakSeq(v int64) uint64              { return uint64(v) >> soakKeyBits }
func soakKey(v int64) int                 { return int(v & (1<<soakKeyBits - 1)) }

// A soak ledger slot holds, for one value, what the test knows about it.
const (
	ledgerMade     = 1 << 0 // handed to the cache; stored or not
	ledgerStored   = 1 << 1 // certainly stored (the cache was open and said so)
	ledgerReported = 1 << 2 // one OnEvict call; each adds this much
)

// soakLedger records every value and how often OnEvict reported it. It is
// a flat array allocated before the heap baseline is taken, so that
// bookkeeping does not grow the heap while the cache runs.
type soakLedger struct {
	slots []atomic.Uint32
	next  atomic.Uint64
}

// make hands out a fresh value for key, or false when the ledger is full.
func (l *soakLedger) make(key int, stored bool) (int64, bool) {
	seq := l.next.Add(1)
	if seq >= uint64(len(l.slots)) {
		return 0, false
	}
	flags := uint32(ledgerMade)
	if stored {
		flags |= ledgerStored
	}
	l.slots[seq].Or(flags)
	return soakValue(seq, key), true
}

func (l *soakLedger) markStored(v int64) { l.slots[soakSeq(v)].Or(ledgerStored) }

// report records one OnEvict call and returns the number of calls so far.
func (l *soakLedger) report(v int64) uint32 {
	seq := soakSeq(v)
	if seq == 0 || seq >= uint64(len(l.slots)) {
		return 0
	}
	return l.slots[seq].Add(ledgerReported) / ledgerReported
}

func (l *soakLedger) flags(seq uint64) (made, stored bool, reports uint32) {
	s := l.slots[seq].Load()
	return s&ledgerMade != 0, s&ledgerStored != 0, s / ledgerReported
}

var (
	errSoakLoad = errors.New("soak: backend unavailable")
	errSoakExit = errors.New("soak: loader panicked")
)

// soakRun is one soak: the cache, its ledger and the counts the checks
// compare with the cache's Stats.
type soakRun struct {
	t          *testing.T
	c          *Cache[int, int64]
	clk        *fakeClock
	ledger     soakLedger
	lookups    atomic.Uint64 // Get, GetOrLoad and each key of GetMany
	ops        atomic.Uint64
	hookWrites atomic.Bool // hooks may Set while the workers run
	hookCalls  atomic.Uint64
	loads      atomic.Uint64
}

func TestSoak(t *testing.T) {
	d := *soakDuration
	if testing.Short() && d > 500*time.Millisecond {
		d = 500 * time.Millisecond
	}
	// Room for about two million values a second of soak, within
	// [1M, 32M] slots (4 bytes each).
	slots := min(max(int(d.Seconds()*2e6), 1<<20), 1<<25)
	s := &soakRun{t: t, clk: newFakeClock()}
	s.ledger.slots = make([]atomic.Uint32, slots)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBase := ms.HeapAlloc
	goroutinesBase := runtime.NumGoroutine()

	s.c = Must(New(Options[int, int64]{
		MaxEntries:  soakCapacity,
		Shards:      4,
		TTL:         time.Second,
		NegativeTTL: 300 * time.Millisecond,
		Clock:       s.clk,
		OnEvict:     s.onEvict,
		Load:        s.load,
		LoadMany:    s.loadMany,
	}))
	s.hookWrites.Store(true)

	workers := 8 * runtime.GOMAXPROCS(0)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(uint64(g), g == 0, deadline)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	s.hookWrites.Store(false) // from here on the cache changes only as the checks say

	s.checkQuiescent()
	s.checkHeapAfterClear(heapBase)
	s.c.Close()
	s.checkAfterClose()
	waitGoroutines(t, goroutinesBase, 5*time.Second)

	made := s.ledger.next.Load()
	if made >= uint64(len(s.ledger.slots)) {
		made = uint64(len(s.ledger.slots)) - 1
	}
	st := s.c.Stats()
	t.Logf("soak: %v, %d worker goroutines (GOMAXPROCS %d), %d operations (%.0f/s), %d values made, %d OnEvict calls, %d loader calls, %d lookups (hits %d, misses %d, negative hits %d), removals by reason %v",
		elapsed.Round(time.Millisecond), workers, runtime.GOMAXPROCS(0), s.ops.Load(),
		float64(s.ops.Load())/elapsed.Seconds(), made, s.hookCalls.Load(), s.loads.Load(),
		s.lookups.Load(), st.Hits, st.Misses, st.NegativeHits, removals(st))
}

func removals(st Stats) map[string]uint64 {
	m := map[string]uint64{}
	for r, n := range st.Removed {
		m[Reason(r).String()] = n
	}
	return m
}

// work runs random operations until the deadline, the ledger is full, or
// a generous operation budget is spent. The clock worker also moves time
// and sweeps expired entries, as the background goroutine does.
func (s *soakRun) work(seed uint64, clock bool, deadline time.Time) {
	r := rand.New(rand.NewPCG(seed, 0x50a4))
	ctx := context.Background()
	const budget = 50_000_000
	for i := 0; i < budget; i++ {
		if i%64 == 0 && time.Now().After(deadline) {
			return
		}
		s.ops.Add(1)
		k := r.IntN(soakKeys)
		if clock && i%32 == 0 {
			s.clk.Advance(time.Duration(r.IntN(100)) * time.Millisecond)
			if i%256 == 0 {
				s.c.c.expire()
			}
			continue
		}
		switch op := r.IntN(1000); {
		case op < 300:
			s.lookups.Add(1)
			if v, ok := s.c.Get(k); ok {
				s.checkValue("Get", k, v)
			}
		case op < 350:
			if v, ok := s.c.Peek(k); ok {
				s.checkValue("Peek", k, v)
			}
		case op < 500:
			v, ok := s.ledger.make(k, true)
			if !ok {
				return
			}
			s.c.Set(k, v)
		case op < 560:
			v, ok := s.ledger.make(k, true)
			if !ok {
				return
			}
			ttl := []time.Duration{-time.Second, -1, NoTTL, 50 * time.Millisecond, 3 * time.Second}[r.IntN(5)]
			s.c.SetWithTTL(k, v, ttl)
		case op < 620:
			v, ok := s.ledger.make(k, false)
			if !ok {
				return
			}
			got, loaded := s.c.GetOrSet(k, v)
			s.checkValue("GetOrSet", k, got)
			if !loaded {
				if got != v {
					s.t.Errorf("GetOrSet(%d, %d) stored but returned %d", k, v, got)
				}
				s.ledger.markStored(v)
			}
		case op < 680:
			action := Action(r.IntN(3))
			exhausted := false
			got, ok := s.c.Compute(k, func(old int64, found bool) (int64, Action) {
				if found {
					s.checkValue("Compute", k, old)
				}
				if action != ActionSet {
					return old, action
				}
				v, ok := s.ledger.make(k, false)
				if !ok {
					exhausted = true
					return old, ActionKeep
				}
				return v, ActionSet
			})
			if exhausted {
				return
			}
			if ok {
				s.checkValue("Compute", k, got)
				if action == ActionSet {
					s.ledger.markStored(got)
				}
			}
		case op < 740:
			s.c.Delete(k)
		case op < 860:
			s.lookups.Add(1)
			v, err := s.c.GetOrLoad(ctx, k, nil)
			s.checkLoad("GetOrLoad", k, v, err)
		case op < 900:
			keys := make([]int, 1+r.IntN(8))
			for j := range keys {
				keys[j] = r.IntN(soakKeys)
			}
			s.lookups.Add(uint64(len(keys)))
			got, err := s.c.GetMany(ctx, keys, nil)
			for key, v := range got {
				s.checkValue("GetMany", key, v)
			}
			s.checkErr("GetMany", keys[0], err)
		case op < 930:
			n := 0
			for key, v := range s.c.All() {
				s.checkValue("All", key, v)
				if n++; n > 64 {
					break
				}
			}
		case op < 950:
			for range s.c.Keys() {
				break
			}
		case op < 960:
			st := s.c.Stats()
			if st.Entries > soakCapacity+s.c.slack() {
				s.t.Errorf("Stats().Entries = %d > capacity %d + slack %d", st.Entries, soakCapacity, s.c.slack())
			}
		case r.IntN(500) == 0: // about once per 12,500 operations
			s.c.Clear()
		default:
			s.lookups.Add(1)
			if v, ok := s.c.Get(k); ok {
				s.checkValue("Get", k, v)
			}
		}
	}
}

// checkValue fails the test if v was not made for key by this test.
func (s *soakRun) checkValue(op string, key int, v int64) {
	seq := soakSeq(v)
	if soakKey(v) != key || seq == 0 || seq >= uint64(len(s.ledger.slots)) {
		s.t.Errorf("%s(%d) returned %d, a value made for key %d (seq %d)", op, key, v, soakKey(v), seq)
		return
	}
	if made, _, _ := s.ledger.flags(seq); !made {
		s.t.Errorf("%s(%d) returned %d, which was never stored", op, key, v)
	}
}

// checkLoad checks a loading read's value, or its error.
func (s *soakRun) checkLoad(op string, key int, v int64, err error) {
	if err == nil {
		s.checkValue(op, key, v)
		return
	}
	s.checkErr(op, key, err)
}

// checkErr fails the test unless err is nil or one the loaders cause.
func (s *soakRun) checkErr(op string, key int, err error) {
	var pe *PanicError
	switch {
	case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, errSoakLoad):
	case errors.As(err, &pe) && pe.Value == errSoakExit:
	default:
		s.t.Errorf("%s(%d): unexpected error %v", op, key, err)
	}
}

// load answers with a fresh value most of the time, and otherwise fails,
// panics or says the key does not exist.
func (s *soakRun) load(_ context.Context, key int) (int64, error) {
	s.loads.Add(1)
	switch n := rand.IntN(100); {
	case n < 5:
		panic(errSoakExit)
	case n < 15:
		return 0, errSoakLoad
	case n < 30:
		return 0, ErrNotFound
	}
	v, ok := s.ledger.make(key, false)
	if !ok {
		return 0, errSoakLoad
	}
	return v, nil
}

// loadMany leaves some keys out (not found) and sometimes fails as a whole.
func (s *soakRun) loadMany(_ context.Context, keys []int) (map[int]int64, error) {
	s.loads.Add(1)
	if rand.IntN(10) == 0 {
		return nil, errSoakLoad
	}
	out := make(map[int]int64, len(keys))
	for _, k := range keys {
		if rand.IntN(5) == 0 {
			continue
		}
		v, ok := s.ledger.make(k, false)
		if !ok {
			return nil, errSoakLoad
		}
		out[k] = v
	}
	return out, nil
}

// onEvict checks and records each report, and sometimes uses the cache
// from inside the hook: a counted Get, or a Set (which may evict again and
// so re-enter the hook) while the workers run.
func (s *soakRun) onEvict(k int, v int64, r Reason) {
	s.hookCalls.Add(1)
	if soakKey(v) != k {
		s.t.Errorf("OnEvict(%d, %d, %v): value made for key %d", k, v, r, soakKey(v))
	}
	if n := s.ledger.report(v); n != 1 {
		s.t.Errorf("OnEvict(%d, %d, %v): report number %d of this value", k, v, r, n)
	}
	switch rand.IntN(32) {
	case 0:
		s.lookups.Add(1)
		s.c.Get(rand.IntN(soakKeys))
	case 1:
		if s.hookWrites.Load() {
			key := rand.IntN(soakKeys)
			if nv, ok := s.ledger.make(key, true); ok {
				s.c.Set(key, nv)
			}
		}
	}
}

// checkQuiescent runs once the workers have stopped. It first expires
// every entry with a deadline (so each stored value is now either live or
// reported), then checks the bound, the counters and that the live values
// and the reports account for every value stored, each exactly once.
func (s *soakRun) checkQuiescent() {
	t := s.t
	if n := s.c.Len(); n > soakCapacity+s.c.slack() {
		t.Errorf("Len = %d > capacity %d + slack %d", n, soakCapacity, s.c.slack())
	}
	s.c.Flush()
	if n := s.c.Len(); n > soakCapacity {
		t.Errorf("Len = %d > capacity %d after Flush", n, soakCapacity)
	}
	s.clk.Advance(24 * time.Hour)
	s.c.c.expire()
	s.c.c.expire()

	live := map[uint64]bool{}
	for k, v := range s.c.All() {
		s.checkValue("All", k, v)
		live[soakSeq(v)] = true
	}
	st := s.c.Stats()
	if got := st.Hits + st.Misses + st.NegativeHits; got != s.lookups.Load() {
		t.Errorf("hits %d + misses %d + negative hits %d = %d, but the test made %d lookups",
			st.Hits, st.Misses, st.NegativeHits, got, s.lookups.Load())
	}
	bad := 0
	s.eachValue(func(seq uint64, stored bool, reports uint32) {
		switch {
		case reports > 1:
			t.Errorf("value seq %d reported %d times", seq, reports)
		case live[seq] && reports != 0:
			t.Errorf("value seq %d is live but was reported to OnEvict", seq)
		case stored && !live[seq] && reports == 0:
			t.Errorf("value seq %d was stored, is not live, and was never reported", seq)
		default:
			return
		}
		if bad++; bad > 20 {
			t.FailNow()
		}
	})
	// Nothing need be live: after the clock's jump only values written
	// without a lifetime remain, and a Clear or evictions near the end
	// can take them all, which the ledger check above accounts for value
	// by value.
	if st.Sets == 0 || s.hookCalls.Load() == 0 {
		t.Errorf("nothing stored (%d sets) or nothing removed (%d OnEvict calls): the soak tested nothing", st.Sets, s.hookCalls.Load())
	}
}

// eachValue calls fn for every value handed out.
func (s *soakRun) eachValue(fn func(seq uint64, stored bool, reports uint32)) {
	n := min(s.ledger.next.Load()+1, uint64(len(s.ledger.slots)))
	for seq := uint64(1); seq < n; seq++ {
		made, stored, reports := s.ledger.flags(seq)
		if !made && reports != 0 {
			s.t.Errorf("value seq %d was reported but never made", seq)
		}
		fn(seq, stored, reports)
	}
}

// checkHeapAfterClear empties the cache and checks that the heap comes
// back near where it was before the cache existed: nothing the soak did
// stays reachable once the entries are gone. The bound is generous
// (shard maps keep their buckets after deletes, as Go maps do), but far
// below what millions of leaked entries would hold.
func (s *soakRun) checkHeapAfterClear(base uint64) {
	s.c.Clear()
	if n := s.c.Len(); n != 0 {
		s.t.Errorf("Len after Clear = %d", n)
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const slack = 16 << 20
	grown := int64(ms.HeapAlloc) - int64(base)
	s.t.Logf("soak: heap after Clear is %+d bytes from the baseline taken before New (bound %d)", grown, slack)
	if grown > slack {
		s.t.Errorf("heap after Clear and GC is %d bytes above its baseline; more than %d suggests a leak", grown, slack)
	}
}

// checkAfterClose: every value stored has now been reported exactly once,
// and the removal counters add up to the stores.
func (s *soakRun) checkAfterClose() {
	t := s.t
	bad := 0
	s.eachValue(func(seq uint64, stored bool, reports uint32) {
		if reports > 1 || (stored && reports != 1) {
			t.Errorf("after Close: value seq %d (stored %v) reported %d times", seq, stored, reports)
			if bad++; bad > 20 {
				t.FailNow()
			}
		}
	})
	st := s.c.Stats()
	var removed uint64
	for _, n := range st.Removed {
		removed += n
	}
	if removed != st.Sets || st.Entries != 0 {
		t.Errorf("after Close: %d removals for %d sets, %d entries left", removed, st.Sets, st.Entries)
	}
	if _, ok := s.c.Get(1); ok {
		t.Error("Get hit after Close")
	}
	if _, err := s.c.GetOrLoad(context.Background(), 1, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("GetOrLoad after Close = %v, want ErrClosed", err)
	}
}

// waitGoroutines polls until the number of goroutines is back to base or
// timeout passes. Goroutines end asynchronously after Close (a loader's
// goroutine finishes after its waiters are released), so a bounded poll is
// the only way to observe it from outside.
func waitGoroutines(t testing.TB, base int, timeout time.Duration) {
	t.Helper()
	end := time.Now().Add(timeout)
	for runtime.NumGoroutine() > base {
		if time.Now().After(end) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before New:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
