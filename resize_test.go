package cache

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stratacache/cache/eviction"
)

var allPolicies = eviction.Algorithms()

func TestSetMaxErrors(t *testing.T) {
	unbounded := Must(New(Options[int, int]{}))
	defer unbounded.Close()
	byCount := Must(New(Options[int, int]{MaxEntries: 100, Shards: 4}))
	defer byCount.Close()
	byWeight := Must(New(Options[int, int]{MaxWeight: 100, Shards: 4, Weigher: func(int, int) uint32 { return 1 }}))
	defer byWeight.Close()
	closed := Must(New(Options[int, int]{MaxEntries: 100}))
	closed.Close()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unbounded", unbounded.SetMaxEntries(10), "cache: SetMaxEntries(10): the cache was created unbounded"},
		{"unbounded weight", unbounded.SetMaxWeight(10), "cache: SetMaxWeight(10): the cache was created unbounded"},
		{"wrong kind: count", byCount.SetMaxWeight(10), "cache: SetMaxWeight(10): the cache is bounded by entry count (Options.MaxEntries); use SetMaxEntries"},
		{"wrong kind: weight", byWeight.SetMaxEntries(10), "cache: SetMaxEntries(10): the cache is bounded by weight (Options.MaxWeight); use SetMaxWeight"},
		{"zero", byCount.SetMaxEntries(0), "cache: SetMaxEntries(0): the bound must be positive"},
		{"negative", byWeight.SetMaxWeight(-5), "cache: SetMaxWeight(-5): the bound must be positive"},
		{"below shards", byCount.SetMaxEntries(3), "cache: SetMaxEntries(3): below the cache's 4 shards"},
	} {
		if !errors.Is(tc.err, ErrInvalidBound) || !strings.HasPrefix(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q... wrapping ErrInvalidBound", tc.name, tc.err, tc.want)
		}
	}
	if err := closed.SetMaxEntries(10); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if byCount.MaxEntries() != 100 || byWeight.MaxWeight() != 100 || byCount.MaxWeight() != 0 || unbounded.MaxEntries() != 0 {
		t.Errorf("a failed resize changed a bound: %d %d", byCount.MaxEntries(), byWeight.MaxWeight())
	}
	if err := byCount.SetMaxEntries(4); err != nil || byCount.MaxEntries() != 4 {
		t.Errorf("SetMaxEntries(4) on 4 shards: %v, bound %d", err, byCount.MaxEntries())
	}
}

// On a known sequence, shrinking an LRU cache evicts exactly the least
// recently used entries, reports them in that order with ReasonCapacity
// before returning, and growing lets the cache hold more at once.
func TestSetMaxEntriesKnownSequence(t *testing.T) {
	var evicted []string
	c := Must(New(Options[int, int]{MaxEntries: 10, Policy: eviction.LRU, OnEvict: func(k, _ int, r Reason) {
		evicted = append(evicted, fmt.Sprintf("%d:%v", k, r))
	}}))
	defer c.Close()
	for i := range 10 {
		c.Set(i, i)
	}
	c.Get(0) // 0 is now the most recently used; 1 the least
	c.Get(3)
	if err := c.SetMaxEntries(6); err != nil {
		t.Fatal(err)
	}
	want := []string{"1:capacity", "2:capacity", "4:capacity", "5:capacity"}
	if !slices.Equal(evicted, want) {
		t.Fatalf("shrinking to 6 evicted %v, want %v", evicted, want)
	}
	if got := slices.Sorted(c.Keys()); !slices.Equal(got, []int{0, 3, 6, 7, 8, 9}) {
		t.Fatalf("left %v", got)
	}
	evicted = nil
	if err := c.SetMaxEntries(12); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 16; i++ {
		c.Set(i, i)
	}
	if c.Len() != 12 || !slices.Equal(evicted, nil) {
		t.Fatalf("after growing to 12 and adding 6: %d entries, evicted %v", c.Len(), evicted)
	}
	c.Set(16, 16)
	if !slices.Equal(evicted, []string{"6:capacity"}) {
		t.Fatalf("over the grown bound: evicted %v, want the LRU entry 6", evicted)
	}
}

// Every policy shrinks down to the new bound, in every shard, before the
// call returns, and keeps its hottest entries.
func TestSetMaxEntriesEveryPolicy(t *testing.T) {
	for _, p := range allPolicies {
		t.Run(p.String(), func(t *testing.T) {
			var n atomic.Int64
			c := Must(New(Options[int, int]{MaxEntries: 4000, Shards: 4, Policy: p, OnEvict: func(_, _ int, r Reason) {
				switch r {
				case ReasonCapacity:
					n.Add(1)
				case ReasonCleared: // Close
				default:
					t.Errorf("reason %v", r)
				}
			}}))
			defer c.Close()
			for i := range 3600 { // under the bound in every shard
				c.Set(i, i)
			}
			hot := []int{17, 1017, 2017, 3017}
			for range 5 {
				for _, k := range hot {
					if _, ok := c.Get(k); !ok {
						t.Fatalf("key %d evicted before the shrink", k)
					}
				}
			}
			before := c.Len()
			n.Store(0)
			if err := c.SetMaxEntries(401); err != nil {
				t.Fatal(err)
			}
			if c.Len() > 401 || int64(before-c.Len()) != n.Load() {
				t.Fatalf("after shrinking to 401: %d entries (from %d), %d reported", c.Len(), before, n.Load())
			}
			for i, s := range c.c.shards {
				if got, want := s.Capacity(), shareOf(401, 4, i); got != want {
					t.Errorf("shard %d capacity %d, want %d", i, got, want)
				}
			}
			for _, k := range hot {
				if _, ok := c.Peek(k); !ok {
					t.Errorf("hot key %d was evicted by the shrink", k)
				}
			}
			if err := c.SetMaxEntries(8000); err != nil {
				t.Fatal(err)
			}
			for i := range 8000 {
				c.Set(10_000+i, i)
			}
			if got := c.Len(); got < 7000 || got > 8000 {
				t.Fatalf("after growing to 8000 and writing 8000 keys: %d entries", got)
			}
		})
	}
}

// A weight bound shrinks by weight, and entries heavier than a shard's new
// share leave.
func TestSetMaxWeight(t *testing.T) {
	var heavy []int
	c := Must(New(Options[int, int]{MaxWeight: 1000, Shards: 2, Policy: eviction.LRU,
		Weigher: func(_, v int) uint32 { return uint32(v) },
		OnEvict: func(k, v int, _ Reason) {
			if v > 40 {
				heavy = append(heavy, k)
			}
		}}))
	defer c.Close()
	for i := range 20 {
		c.Set(i, 10)
	}
	c.Set(100, 45)
	if err := c.SetMaxWeight(80); err != nil {
		t.Fatal(err)
	}
	if w := c.Stats().Weight; w > 80 {
		t.Fatalf("weight %d after shrinking to 80", w)
	}
	if !slices.Equal(heavy, []int{100}) {
		t.Fatalf("the entry of weight 45, above a share of 40, was not evicted: %v", heavy)
	}
	c.Set(101, 41) // over a shard's share: rejected at once
	if _, ok := c.Peek(101); ok || !slices.Equal(heavy, []int{100, 101}) {
		t.Fatalf("an entry over the new share was stored (reported %v)", heavy)
	}
}

// Resizing up and down while writers and readers run: every value ever
// stored is either resident at the end or reported to OnEvict exactly
// once, and the bound holds once each resize has returned and the writes
// have stopped.
func TestSetMaxEntriesConcurrent(t *testing.T) {
	for _, p := range allPolicies {
		t.Run(p.String(), func(t *testing.T) {
			var (
				mu       sync.Mutex
				reported = map[int]int{} // value → times reported
			)
			c := Must(New(Options[int, int]{MaxEntries: 1024, Shards: 8, Policy: p, OnEvict: func(_, v int, r Reason) {
				mu.Lock()
				reported[v]++
				mu.Unlock()
			}}))
			defer c.Close()
			const writers, perWriter = 4, 5000
			var (
				wg      sync.WaitGroup
				stopped atomic.Bool
			)
			for w := range writers {
				wg.Go(func() {
					for i := range perWriter {
						v := w*perWriter + i // unique: each value stored once
						c.Set(v%3000, v)
						c.Get((v * 7) % 3000)
					}
				})
			}
			// The views and snapshots walk the policies while all this
			// runs (for the race detector; their results are checked
			// elsewhere).
			wg.Go(func() {
				for range 50 {
					for k, v := range c.Hottest(5) {
						if v%3000 != k {
							t.Errorf("Hottest yielded %d=%d", k, v)
						}
					}
					for range c.Coldest(5) {
					}
				}
				if _, err := c.SaveSnapshot(io.Discard, SnapshotOptions{}); err != nil {
					t.Error(err)
				}
			})
			resizes := make(chan struct{})
			go func() {
				defer close(resizes)
				for i := 0; !stopped.Load(); i++ {
					size := []int{8, 200, 4000, 1024, 64}[i%5]
					if err := c.SetMaxEntries(size); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			wg.Wait()
			stopped.Store(true)
			<-resizes
			if err := c.SetMaxEntries(100); err != nil {
				t.Fatal(err)
			}
			if n := c.Len(); n > 100 {
				t.Fatalf("%d entries after the last resize to 100", n)
			}
			resident := maps.Collect(c.All())
			mu.Lock()
			defer mu.Unlock()
			for v := range writers * perWriter {
				k := v % 3000
				times := reported[v]
				if rv, ok := resident[k]; ok && rv == v {
					times++
				}
				if times != 1 {
					t.Fatalf("value %d: resident or reported %d times in all, want exactly once", v, times)
				}
			}
		})
	}
}

// New refuses a bound below an explicit shard count, as resizing does: a
// shard whose share were 0 would be unbounded.
func TestNewBoundBelowShards(t *testing.T) {
	_, err := New(Options[int, int]{MaxEntries: 10, Shards: 64})
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "cache: Options.Shards is 64, more than the bound of 10") {
		t.Fatalf("New with 10 entries over 64 shards: %v", err)
	}
	c := Must(New(Options[int, int]{MaxEntries: 10}))
	defer c.Close()
	if c.Shards() != 1 {
		t.Fatalf("automatic shard count %d for 10 entries", c.Shards())
	}
}
