package cache

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Hostile input: what callers who want to hurt the cache, or who make
// mistakes, can do to it, and what the cache promises in each case. The
// friendly paths are tested in cache_test.go and load_test.go.

// An attacker who knows the cache hashes strings with xxhash, but not the
// per-cache seed, can only search for keys that collide under the unseeded
// hash. Keys that all land in one shard of an unseeded index must still
// spread over every shard of a real cache.
func TestKeysCollidingWithoutSeedStillSpread(t *testing.T) {
	const (
		want     = 20_000
		topBits  = 6 // 64 shards
		attacked = 42
	)
	keys := make([]string, 0, want)
	for i := 0; len(keys) < want; i++ {
		k := "attack:" + strconv.Itoa(i)
		if xxhash.Sum64String(k)>>(64-topBits) == attacked {
			keys = append(keys, k)
		}
	}
	c := Must(New(Options[string, int]{Shards: 1 << topBits}))
	defer c.Close()
	if c.c.shift != 64-topBits {
		t.Fatalf("shift %d, want %d: the test assumes 64 shards", c.c.shift, 64-topBits)
	}
	perShard := make([]int, 1<<topBits)
	for i, k := range keys {
		perShard[c.c.hasher.Hash(k)>>c.c.shift]++
		c.Set(k, i)
	}
	// 20,000 keys over 64 shards: 312 expected each, standard deviation
	// about 17. An unseeded hash would put all 20,000 in shard 42.
	mean := want / len(perShard)
	for i, n := range perShard {
		if n < mean/2 || n > mean*2 {
			t.Errorf("shard %d got %d of the colliding keys, mean %d", i, n, mean)
		}
		if got := c.c.shards[i].Len(); got != n {
			t.Errorf("shard %d holds %d entries, the hash says %d", i, got, n)
		}
	}
	if c.Len() != want {
		t.Fatalf("Len = %d, want %d", c.Len(), want)
	}
}

// Values far larger than a shard's share of MaxWeight are never stored,
// whichever operation writes them, and are reported with ReasonCapacity;
// the cache keeps its bound and what it held.
func TestHugeValuesAreRejectedAndTheBoundHolds(t *testing.T) {
	synctest.Test(t, testHugeValues)
}

func testHugeValues(t *testing.T) {
	const maxWeight = 1 << 20 // 64 shards of 16 KiB
	var mu sync.Mutex
	rejected := map[string]int{}
	c := Must(New(Options[string, []byte]{
		MaxWeight: maxWeight,
		Weigher: func(k string, v []byte) uint32 {
			return uint32(min(len(k)+len(v), math.MaxUint32))
		},
		OnEvict: func(k string, _ []byte, r Reason) {
			if r == ReasonCapacity {
				mu.Lock()
				rejected[k]++
				mu.Unlock()
			}
		},
	}))
	defer c.Close()
	if n := len(c.c.shards); n != 64 {
		t.Fatalf("%d shards, the test assumes 64", n)
	}
	huge := make([]byte, 8<<20) // 8 MiB: 512 times a shard's share
	c.Set("kept", []byte("small"))
	c.Set("kept", huge) // the old value is replaced, the new one rejected

	c.Set("set", huge)
	c.SetWithTTL("ttl", huge, NoTTL)
	if v, loaded := c.GetOrSet("getorset", huge); loaded || len(v) != len(huge) {
		t.Errorf("GetOrSet(huge) = %d bytes, %v", len(v), loaded)
	}
	c.Compute("compute", func([]byte, bool) ([]byte, Action) { return huge, ActionSet })
	v, err := c.GetOrLoad(context.Background(), "load", LoaderFunc[string, []byte](
		func(context.Context, string) ([]byte, error) { return huge, nil }))
	if err != nil || len(v) != len(huge) {
		t.Errorf("GetOrLoad(huge) = %d bytes, %v; the caller still gets the value", len(v), err)
	}
	// A load reports its removals on its own goroutine after releasing
	// its callers: wait for that goroutine to finish.
	synctest.Wait()
	mu.Lock()
	for _, k := range []string{"kept", "set", "ttl", "getorset", "compute", "load"} {
		if _, ok := c.Peek(k); ok {
			t.Errorf("%q: a value 512 times a shard's share was stored", k)
		}
		if rejected[k] != 1 {
			t.Errorf("%q: rejection reported %d times with ReasonCapacity, want 1", k, rejected[k])
		}
	}
	mu.Unlock()
	// Entries just under a shard's share fill the cache but never break
	// its bound.
	share := make([]byte, maxWeight/64-16)
	for i := range 1000 {
		c.Set("fill:"+strconv.Itoa(i), share)
		if w := c.Stats().Weight; w > maxWeight {
			t.Fatalf("weight %d > MaxWeight %d after %d near-share entries", w, maxWeight, i+1)
		}
	}
	if c.Len() == 0 {
		t.Fatal("entries under a shard's share were not stored")
	}
}

// A Weigher runs on the caller's goroutine before any lock is taken. If it
// panics, the panic reaches the caller of Set, GetOrSet or Compute, nothing
// is stored and nothing is reported; in a load it becomes the waiters'
// *PanicError, as a loader's panic does. The cache stays usable: no lock
// is left held.
func TestPanickingWeigher(t *testing.T) {
	var evicted atomic.Int32
	c := Must(New(Options[string, int]{
		MaxWeight: 1 << 20,
		Weigher: func(_ string, v int) uint32 {
			if v < 0 {
				panic("weigher: negative value")
			}
			return 1
		},
		OnEvict: func(string, int, Reason) { evicted.Add(1) },
	}))
	defer c.Close()
	c.Set("k", 1)
	mustPanic(t, "Set", "weigher: negative value", func() { c.Set("k", -1) })
	mustPanic(t, "GetOrSet", "weigher: negative value", func() { c.GetOrSet("new", -1) })
	mustPanic(t, "Compute", "weigher: negative value", func() {
		c.Compute("k", func(int, bool) (int, Action) { return -1, ActionSet })
	})
	if v, ok := c.Get("k"); !ok || v != 1 {
		t.Errorf("after the weigher panicked, Get(k) = %d, %v; want the old value 1", v, ok)
	}
	if _, ok := c.Get("new"); ok {
		t.Error("GetOrSet stored a value its weigher panicked on")
	}
	if n := evicted.Load(); n != 0 {
		t.Errorf("%d OnEvict calls; a write that panicked before storing removes nothing", n)
	}
	_, err := c.GetOrLoad(context.Background(), "loaded", LoaderFunc[string, int](
		func(context.Context, string) (int, error) { return -1, nil }))
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "weigher: negative value" {
		t.Errorf("GetOrLoad with a panicking weigher: %v, want a *PanicError", err)
	}
	if n := loadsInFlight(c); n != 0 {
		t.Errorf("%d loads still registered after the weigher panicked", n)
	}
	// Every shard's lock is free: a write to each succeeds.
	for i := range 256 {
		c.Set(strconv.Itoa(i), i)
	}
	if c.Len() != 257 {
		t.Fatalf("Len = %d after 256 more writes, want 257", c.Len())
	}
}

// A hook that panics on the value a Set replaces: the Set has happened (the
// new value is stored), every removal was reported, and the caller gets the
// hook's panic.
func TestPanickingOnEvictDuringSet(t *testing.T) {
	var reports []string
	c := Must(New(Options[string, int]{
		MaxEntries: 2, Shards: 1,
		OnEvict: func(k string, v int, r Reason) {
			reports = append(reports, k+"="+strconv.Itoa(v)+" "+r.String())
			if v == 1 {
				panic("hook failed")
			}
		},
	}))
	defer c.Close()
	c.Set("a", 1)
	c.Set("b", 2)
	mustPanic(t, "Set", "hook failed", func() { c.Set("a", 10) })
	if v, ok := c.Get("a"); !ok || v != 10 {
		t.Errorf("Get(a) = %d, %v after the hook panicked; the write must stand", v, ok)
	}
	c.Set("c", 3) // evicts b; this hook call does not panic
	want := "a=1 replaced, b=2 capacity"
	if got := strings.Join(reports, ", "); got != want {
		t.Errorf("OnEvict saw %s, want %s", got, want)
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
}

// A panicking hook during Close: Close still closes (every entry reported,
// later writes ignored), then re-raises the first panic; a second Close
// does nothing.
func TestPanickingOnEvictDuringClose(t *testing.T) {
	var n atomic.Int32
	c := Must(New(Options[int, int]{OnEvict: func(k, _ int, _ Reason) {
		n.Add(1)
		if k%2 == 0 {
			panic("hook failed on " + strconv.Itoa(k))
		}
	}}))
	for i := range 10 {
		c.Set(i, i)
	}
	defer func() {
		r := recover()
		if s, ok := r.(string); !ok || len(s) < len("hook failed") || s[:len("hook failed")] != "hook failed" {
			t.Fatalf("Close recovered %v, want the hook's panic", r)
		}
		if n.Load() != 10 || c.Len() != 0 {
			t.Fatalf("%d of 10 entries reported, %d left", n.Load(), c.Len())
		}
		c.Set(1, 1)
		if _, ok := c.Get(1); ok {
			t.Fatal("a write after a panicking Close was stored")
		}
		c.Close() // idempotent, no second panic
	}()
	c.Close()
}

// Zero and negative lifetimes: 0 means the cache's default, a negative one
// stores an entry that is already expired (never returned, reported
// expired exactly once), and a negative Options.TTL is refused.
func TestZeroAndNegativeTTLs(t *testing.T) {
	clk := newFakeClock()
	var mu sync.Mutex
	var reports []string
	c := Must(New(Options[string, int]{TTL: time.Minute, Clock: clk, OnEvict: func(k string, v int, r Reason) {
		mu.Lock()
		reports = append(reports, k+"="+strconv.Itoa(v)+" "+r.String())
		mu.Unlock()
	}}))
	defer c.Close()
	c.SetWithTTL("default", 1, 0)
	c.SetWithTTL("past", 2, -time.Nanosecond)
	c.SetWithTTL("far past", 3, math.MinInt64)
	c.SetWithTTL("forever", 4, NoTTL)
	for _, k := range []string{"past", "far past"} {
		if _, ok := c.Get(k); ok {
			t.Errorf("Get(%q) hit an entry stored already expired", k)
		}
		if v, loaded := c.GetOrSet(k, 9); loaded || v != 9 {
			t.Errorf("GetOrSet(%q) = %d, %v: the expired entry must count as absent", k, v, loaded)
		}
	}
	if _, ok := c.Get("default"); !ok {
		t.Error("SetWithTTL(0) did not store with the default TTL")
	}
	clk.Advance(time.Minute + time.Second)
	c.c.expire()
	if _, ok := c.Get("default"); ok {
		t.Error("SetWithTTL(0) outlived the default TTL")
	}
	if _, ok := c.Get("forever"); !ok {
		t.Error("NoTTL entry expired")
	}
	want := []string{"default=1 expired", "far past=3 expired", "far past=9 expired", "past=2 expired", "past=9 expired"}
	mu.Lock()
	got := slices.Sorted(slices.Values(reports))
	mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("OnEvict saw %q, want (in any order) %q", got, want)
	}
	if _, err := New(Options[string, int]{TTL: -time.Second}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("New with a negative TTL: %v, want ErrInvalidOptions", err)
	}
}

// Close while every kind of operation is in flight: loads that ignore
// their context, single and bulk waiters, writers. Close returns without
// waiting for loaders; waiters get ErrClosed; a loader that finishes after
// Close stores nothing; every goroutine ends. synctest proves there is no
// hang and no goroutine left: the bubble deadlocks otherwise.
func TestCloseWithLoadsAndWaitersInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stored atomic.Int32
		c := newLoadTestCache(t, Options[string, int]{OnEvict: func(string, int, Reason) { stored.Add(-1) }})
		stubborn := newGatedLoader(keyLength) // ignores ctx until opened
		bulk := newGatedBulkLoader(lengths)
		single := waitAll(c, 20, "stubborn", stubborn)
		var many error
		var wg sync.WaitGroup
		wg.Go(func() { _, many = c.GetMany(context.Background(), []string{"x", "y", "stubborn"}, bulk) })
		synctest.Wait() // every waiter is blocked on a loader
		c.Set("written", 1)
		stored.Add(1)

		c.Close() // returns although both loaders still run
		_, errs := single()
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("waiter %d got %v, want ErrClosed", i, err)
			}
		}
		if !errors.Is(many, ErrClosed) {
			t.Errorf("GetMany waiting during Close got %v, want ErrClosed", many)
		}
		close(stubborn.open) // the loaders now return, late
		close(bulk.open)
		synctest.Wait()
		if c.Len() != 0 {
			t.Errorf("a load that finished after Close stored %d entries", c.Len())
		}
		if n := stored.Load(); n != 0 {
			t.Errorf("%d stored values were not reported by Close", n)
		}
		if _, err := c.GetOrLoad(context.Background(), "stubborn", stubborn); !errors.Is(err, ErrClosed) {
			t.Errorf("GetOrLoad after Close: %v, want ErrClosed", err)
		}
	})
}

// Every operation after Close: reads miss, writes are ignored and say so
// where their result can (Compute reports nothing stored), loading reads
// fail with ErrClosed at once, iteration is empty.
func TestEveryOperationAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hooked atomic.Int32
		c := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, OnEvict: func(string, int, Reason) { hooked.Add(1) }})
		c.Set("k", 1)
		c.Close()
		hooked.Store(0)
		c.Set("k", 2)
		c.SetWithTTL("t", 2, time.Second)
		if v, loaded := c.GetOrSet("g", 3); loaded || v != 3 {
			t.Errorf("GetOrSet after Close = %d, %v", v, loaded)
		}
		if v, ok := c.Compute("k", func(int, bool) (int, Action) { return 4, ActionSet }); ok {
			t.Errorf("Compute after Close = %d, true; nothing can be stored", v)
		}
		if c.Delete("k") {
			t.Error("Delete after Close found a value")
		}
		c.Clear()
		for _, k := range []string{"k", "t", "g"} {
			if _, ok := c.Get(k); ok {
				t.Errorf("Get(%q) hit after Close", k)
			}
			if _, ok := c.Peek(k); ok {
				t.Errorf("Peek(%q) hit after Close", k)
			}
		}
		for k := range c.All() {
			t.Errorf("All yielded %q after Close", k)
		}
		ld := newGatedLoader(keyLength) // would block forever if called
		if _, err := c.GetOrLoad(context.Background(), "k", ld); !errors.Is(err, ErrClosed) {
			t.Errorf("GetOrLoad after Close: %v, want ErrClosed", err)
		}
		if _, err := c.GetMany(context.Background(), []string{"a", "b"}, newGatedBulkLoader(lengths)); !errors.Is(err, ErrClosed) {
			t.Errorf("GetMany after Close: %v, want ErrClosed", err)
		}
		if ld.calls.Load() != 0 || c.Len() != 0 || hooked.Load() != 0 {
			t.Errorf("after Close: %d loader calls, %d entries, %d OnEvict calls; want none", ld.calls.Load(), c.Len(), hooked.Load())
		}
	})
}

func mustPanic(t *testing.T, op string, want any, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if r := recover(); r != want {
			t.Errorf("%s: recovered %v, want panic %v", op, r, want)
		}
	}()
	fn()
}
