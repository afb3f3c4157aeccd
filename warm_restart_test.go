package cache_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/internal/warmtest"
)

// TestWarmRestart: with the default policy, a cache saved halfway through
// a skewed key stream and loaded into a new cache hits within a point of
// one that never restarted, over the second half, while a cache that
// starts the second half empty falls more than a point behind (so the
// test can tell a restored cache from a cold one). The shared traces are
// replayed the same way in the benchmarks module (benchmarks/replay).
func TestWarmRestart(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		size int
	}{
		{1.1, 10_000},
		{1.01, 10_000},
	} {
		z := rand.NewZipf(rand.New(rand.NewPCG(1, 1)), tc.s, 1, 1_000_000)
		keys := make([]uint64, 200_000)
		for i := range keys {
			keys[i] = z.Uint64()
		}
		whole, restarted, cold := warmtest.Restart(t, keys, cache.Options[uint64, uint64]{MaxEntries: tc.size})
		t.Logf("Zipf s=%v at %d entries, hit ratio over the second half: uninterrupted %.2f%%, restarted %.2f%%, cold %.2f%%",
			tc.s, tc.size, whole, restarted, cold)
		if restarted < whole-1 {
			t.Errorf("s=%v: the restarted cache hit %.2f%%, more than a point below the uninterrupted %.2f%%", tc.s, restarted, whole)
		}
		if cold > whole-1 {
			t.Errorf("s=%v: a cold cache hit %.2f%%, within a point of the uninterrupted %.2f%%: the keys cannot tell a warm restart from a cold one", tc.s, cold, whole)
		}
	}
}
