package cache

import (
	"context"
	"testing"
	"time"
)

func TestLoadBucketBoundsIncrease(t *testing.T) {
	b := LoadBucketBounds()
	if len(b) != NumLoadBuckets-1 {
		t.Fatalf("%d bounds for %d buckets", len(b), NumLoadBuckets)
	}
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Fatalf("bound %d (%v) is not above bound %d (%v)", i, b[i], i-1, b[i-1])
		}
	}
	// The caller's copy is its own.
	b[0] = 0
	if LoadBucketBounds()[0] == 0 {
		t.Fatal("changing the returned bounds changed the cache's")
	}
}

func TestLoadBucketEdges(t *testing.T) {
	b := LoadBucketBounds()
	for i, bound := range b {
		if got := loadBucket(int64(bound)); got != i {
			t.Errorf("a load of exactly %v went to bucket %d, want %d (bounds are inclusive)", bound, got, i)
		}
		if got := loadBucket(int64(bound) + 1); got != i+1 {
			t.Errorf("a load of %v+1ns went to bucket %d, want %d", bound, got, i+1)
		}
	}
	if got := loadBucket(0); got != 0 {
		t.Errorf("an instant load went to bucket %d", got)
	}
}

// TestStatsLoadBuckets times loads on the cache's clock: the loader moves
// the clock forward by the duration the key names, so each load takes
// exactly that long.
func TestStatsLoadBuckets(t *testing.T) {
	clk := newFakeClock()
	took := map[string]time.Duration{
		"fast":   50 * time.Microsecond,  // bucket 0
		"edge":   100 * time.Microsecond, // bucket 0: bounds are inclusive
		"ms":     3 * time.Millisecond,   // bucket 5 (≤ 5ms)
		"fail":   3 * time.Millisecond,   // failures count too
		"absent": time.Second,            // bucket 12; not found is a success
		"slow":   11 * time.Second,       // the overflow bucket
		"panic":  0,                      // bucket 0
	}
	c := newLoadTestCache(t, Options[string, int]{Clock: clk})
	defer c.Close()
	ld := LoaderFunc[string, int](func(_ context.Context, k string) (int, error) {
		clk.Advance(took[k])
		switch k {
		case "fail":
			return 0, errBackend
		case "absent":
			return 0, ErrNotFound
		case "panic":
			panic("boom")
		}
		return 1, nil
	})
	var total time.Duration
	for _, k := range []string{"fast", "edge", "ms", "fail", "absent", "slow", "panic"} {
		_, _ = c.GetOrLoad(context.Background(), k, ld)
		total += took[k]
	}
	st := c.Stats()
	want := [NumLoadBuckets]uint64{0: 3, 5: 2, 12: 1, NumLoadBuckets - 1: 1}
	if st.LoadBuckets != want {
		t.Fatalf("LoadBuckets = %v, want %v", st.LoadBuckets, want)
	}
	var sum uint64
	for _, n := range st.LoadBuckets {
		sum += n
	}
	if sum != st.Loads() || st.LoadTime != total {
		t.Fatalf("buckets add up to %d for %d loads taking %v (want %v)", sum, st.Loads(), st.LoadTime, total)
	}
}
