package replay

import (
	"path/filepath"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/benchmarks/internal/trace/tracetest"
	"github.com/stratacache/cache/internal/warmtest"
)

func loadTraceKeys(t testing.TB, name string) []uint64 {
	return tracetest.Keys(t, filepath.Join("..", ".."), name)
}

// TestWarmRestartTrace is the done-when of warm restarts: on real traces
// at conventional sizes, with the default policy, a cache saved halfway
// and loaded into a new cache hits within a point of one that never
// restarted, over the second half. The traces are ones where starting
// cold costs more than a point, so the test tells a restored cache from an
// empty one (web12 at 3000: about 3.6 points; multi2 at 1800: about 11).
// Loading by write time alone, as version 1 snapshots did, fell 1.1 and
// 1.2 points behind on these two. About a second, a few under -race.
func TestWarmRestartTrace(t *testing.T) {
	for _, tc := range []struct {
		trace string
		size  int
	}{
		{"web12.i32be.gz", 3000},
		{"multi2.lirs.gz", 1800},
	} {
		t.Run(tc.trace, func(t *testing.T) {
			keys := loadTraceKeys(t, tc.trace)
			whole, restarted, cold := warmtest.Restart(t, keys, cache.Options[uint64, uint64]{MaxEntries: tc.size})
			t.Logf("%s at %d entries, default policy, hit ratio over the second half: uninterrupted %.2f%%, restarted %.2f%%, cold %.2f%%",
				tc.trace, tc.size, whole, restarted, cold)
			if restarted < whole-1 {
				t.Errorf("restarted cache hit %.2f%%, more than a point below the uninterrupted %.2f%%", restarted, whole)
			}
			if cold > whole-1 {
				t.Errorf("a cold cache hit %.2f%%, within a point of the uninterrupted %.2f%%: this trace cannot tell a warm restart from a cold one", cold, whole)
			}
		})
	}
}
