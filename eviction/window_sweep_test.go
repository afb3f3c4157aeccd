package eviction

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stratacache/cache/internal/hashing"
)

// TestWindowShareSweep replays traces through TinyLFU with the window held
// at fixed shares, and adaptively, each over three hash seeds, to tell
// whether a gap is the climber's (some fixed share does much better) or
// the admission filter's (none does). Select points with
// STRATA_WINDOW_SWEEP, such as "sprite.lirs.gz:200,gli.lirs.gz:1750".
func TestWindowShareSweep(t *testing.T) {
	spec := os.Getenv("STRATA_WINDOW_SWEEP")
	if spec == "" {
		t.Skip("set STRATA_WINDOW_SWEEP=trace:size,... to run")
	}
	shares := []float64{-1, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8} // -1: adaptive
	const seeds = 3
	for _, point := range strings.Split(spec, ",") {
		file, sizeText, ok := strings.Cut(point, ":")
		size, err := strconv.Atoi(sizeText)
		if !ok || err != nil || size <= 0 {
			t.Fatalf("bad point %q, want trace:size", point)
		}
		keys := loadTrace(t, file)
		ratios := make([]float64, len(shares))
		var wg sync.WaitGroup
		for i, share := range shares {
			wg.Go(func() {
				for s := range seeds {
					ratios[i] += replayAtShare(keys, int64(size), uint64(replaySeed+s), share) / seeds
				}
			})
		}
		wg.Wait()
		var out strings.Builder
		for i, share := range shares {
			name := "adaptive"
			if share >= 0 {
				name = fmt.Sprintf("%.0f%%", 100*share)
			}
			fmt.Fprintf(&out, " %s %.2f", name, ratios[i])
		}
		t.Logf("%s at %d:%s", file, size, out.String())
	}
}

// replayAtShare is the hit ratio of TinyLFU on keys, its window held at
// share of the capacity, or left to the climber if share is negative.
func replayAtShare(keys []uint64, capacity int64, seed uint64, share float64) float64 {
	s := newSimulator(TinyLFU, capacity)
	p := s.policy.(*tinyLFU[uint64, void])
	if share >= 0 {
		p.setWindowShare(share)
		p.climber.period = int(^uint(0) >> 1) // a sample that never closes
	}
	hits := 0
	for _, k := range keys {
		if s.get(k, hashing.Mix(k^seed)) {
			hits++
		}
	}
	return 100 * float64(hits) / float64(len(keys))
}
