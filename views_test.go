package cache

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stratacache/cache/eviction"
)

func keysOf(seq func(func(int, int) bool)) []int {
	var ks []int
	for k := range seq {
		ks = append(ks, k)
	}
	return ks
}

// The views on a known access pattern, one shard, for each policy: see
// each policy's Ordered for why these are the orders.
func TestViewsKnownPattern(t *testing.T) {
	for _, tc := range []struct {
		policy           eviction.Algorithm
		capacity         int
		keys             int   // written 0..keys-1 in order
		reads            []int // then read in this order
		hottest, coldest []int // 3 each
	}{
		// Recency: reads moved 3 then 7 to the recent end.
		{eviction.LRU, 20, 10, []int{3, 7}, []int{7, 3, 9}, []int{0, 1, 2}},
		// Visited entries leave last; unvisited go oldest first.
		{eviction.SIEVE, 20, 10, []int{2, 5}, []int{5, 2, 9}, []int{0, 1, 3}},
		// All in the small queue; the read one would move on to main.
		{eviction.S3FIFO, 20, 10, []int{4}, []int{4, 9, 8}, []int{0, 1, 2}},
		// Ten written and 3 read, then 10 written over the bound: the
		// window's overflow filled main (probation) and 3, read, beat 0
		// for the last place. Reading 5 moves it to protected.
		{eviction.TinyLFU, 10, 11, []int{5}, []int{5, 3, 9}, []int{10, 1, 2}},
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			c := Must(New(Options[int, int]{MaxEntries: tc.capacity, Policy: tc.policy}))
			defer c.Close()
			for i := range tc.keys {
				if tc.policy == eviction.TinyLFU && i == 10 {
					c.Get(3)
				}
				c.Set(i, i*10)
			}
			for _, k := range tc.reads {
				c.Get(k)
			}
			stats := c.Stats()
			if got := keysOf(c.Hottest(3)); !slices.Equal(got, tc.hottest) {
				t.Errorf("Hottest(3) = %v, want %v", got, tc.hottest)
			}
			if got := keysOf(c.Coldest(3)); !slices.Equal(got, tc.coldest) {
				t.Errorf("Coldest(3) = %v, want %v", got, tc.coldest)
			}
			// Values come along, and the views are not reads.
			for k, v := range c.Hottest(1) {
				if v != k*10 {
					t.Errorf("Hottest yielded %d=%d", k, v)
				}
			}
			if c.Stats() != stats {
				t.Errorf("the views changed Stats: %+v -> %+v", stats, c.Stats())
			}
			if got := keysOf(c.Hottest(3)); !slices.Equal(got, tc.hottest) {
				t.Errorf("second Hottest(3) = %v, want %v: a view changed the order", got, tc.hottest)
			}
			all := keysOf(c.Coldest(1000))
			hot := keysOf(c.Hottest(1000))
			slices.Reverse(hot)
			if len(all) != c.Len() || !slices.Equal(all, hot) {
				t.Errorf("Coldest(all) %v is not Hottest(all) %v reversed, or misses entries (Len %d)", all, hot, c.Len())
			}
		})
	}
}

// Across shards, the views merge by relative rank: with equal shards, the
// first entries of Hottest are each shard's most recent one.
func TestViewsAcrossShards(t *testing.T) {
	c := Must(New(Options[int, int]{MaxEntries: 4000, Shards: 4, Policy: eviction.LRU}))
	defer c.Close()
	newest := map[int]int{} // shard → its last key
	for i := range 400 {
		c.Set(i, i)
		newest[int(c.c.hasher.Hash(i)>>c.c.shift)] = i
	}
	got := keysOf(c.Hottest(4))
	want := slices.Sorted(maps.Values(newest))
	if slices.Sort(got); !slices.Equal(got, want) {
		t.Fatalf("Hottest(4) = %v, want each shard's newest %v", got, want)
	}
	if n := len(keysOf(c.Coldest(1000))); n != 400 {
		t.Fatalf("Coldest(1000) yielded %d of 400 entries", n)
	}
	if n := len(keysOf(c.Coldest(0))); n != 0 {
		t.Fatalf("Coldest(0) yielded %d", n)
	}
	for range c.Hottest(10) {
		c.Set(-1, -1) // the loop body may write: no lock is held
		break
	}
}

// An unbounded cache keeps no policy: its views order by write time, and
// skip expired and negative entries.
func TestViewsUnbounded(t *testing.T) {
	clk := newFakeClock()
	c := Must(New(Options[int, int]{Clock: clk, Shards: 2}))
	defer c.Close()
	for i := range 10 {
		if i == 4 {
			c.SetWithTTL(i, i, time.Second)
		} else {
			c.Set(i, i)
		}
		clk.Advance(time.Millisecond)
	}
	clk.Advance(time.Second)
	if got := keysOf(c.Hottest(10)); len(got) != 9 || slices.Contains(got, 4) {
		t.Fatalf("Hottest(10) = %v, want the 9 live entries", got)
	}
	one := Must(New(Options[int, int]{Clock: clk, Shards: 1}))
	defer one.Close()
	for i := range 5 {
		one.Set(i, i)
		clk.Advance(time.Millisecond)
	}
	one.Set(1, 1) // rewritten: now the most recent
	if got := keysOf(one.Hottest(2)); !slices.Equal(got, []int{1, 4}) {
		t.Fatalf("Hottest(2) of an unbounded cache = %v, want [1 4] by write time", got)
	}
	if got := keysOf(one.Coldest(2)); !slices.Equal(got, []int{0, 2}) {
		t.Fatalf("Coldest(2) of an unbounded cache = %v, want [0 2]", got)
	}
}
