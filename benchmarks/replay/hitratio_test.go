package replay

import (
	"flag"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stratacache/cache/benchmarks/internal/trace"
	"github.com/stratacache/cache/benchmarks/internal/trace/tracetest"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/hashing"
	"github.com/stratacache/cache/internal/policysim"
)

var hitRatioTable = flag.Bool("hitratio", false, "replay every trace at its conventional sizes and print hit ratios (slow); also STRATA_HITRATIO=1")

// replaySeed stands in for a cache's random hash seed; fixed, so that
// ratios are reproducible.
const replaySeed = 0x5eed

type void = policysim.Void

// hitRatio replays keys through shards policies (one climbing group) of
// capacity/shards each, picking the shard by the hash's top bits as the
// cache does, and returns the hit ratio in percent.
func hitRatio(a eviction.Algorithm, keys []uint64, capacity int64, shards int) float64 {
	shift := 64 - bits.TrailingZeros(uint(shards))
	sims := make([]*policysim.Sim, shards)
	var g *eviction.Group // the shards learn together, as in the cache
	if shards > 1 {
		g = eviction.NewGroup()
	}
	for i := range sims {
		c := capacity / int64(shards)
		sims[i] = policysim.New(eviction.NewMember[uint64, void](a, c, g), c)
	}
	hits := 0
	for _, k := range keys {
		h := hashing.Mix(k ^ replaySeed)
		i := 0
		if shards > 1 {
			i = int(h >> shift)
		}
		if sims[i].Get(k, h) {
			hits++
		}
	}
	return 100 * float64(hits) / float64(len(keys))
}

// loadTrace returns the keys of the named trace, read once per test binary.
func loadTrace(t testing.TB, name string) []uint64 {
	return tracetest.Keys(t, filepath.Join("..", ".."), name)
}

// shortName is a trace's file name without its extensions.
func shortName(file string) string { return strings.SplitN(file, ".", 2)[0] }

var compared = eviction.Algorithms()

func wantTable(t *testing.T) {
	t.Helper()
	if !*hitRatioTable && os.Getenv("STRATA_HITRATIO") == "" {
		t.Skip("slow: run with -hitratio or STRATA_HITRATIO=1 to print hit ratios")
	}
}

// filterTraces keeps the traces named in STRATA_HITRATIO_ONLY (comma
// separated prefixes), if set.
func keepTrace(file string) bool {
	only := os.Getenv("STRATA_HITRATIO_ONLY")
	if only == "" {
		return true
	}
	for _, p := range strings.Split(only, ",") {
		if strings.HasPrefix(file, p) {
			return true
		}
	}
	return false
}

// TestHitRatioTable prints, as a Markdown table, the hit ratio of every
// policy on every trace at its conventional sizes, next to OPT.
func TestHitRatioTable(t *testing.T) {
	wantTable(t)
	var out strings.Builder
	fmt.Fprintf(&out, "\n| trace | size | OPT |")
	for _, a := range compared {
		fmt.Fprintf(&out, " %s |", a)
	}
	fmt.Fprintf(&out, "\n|---|---:|---:|%s\n", strings.Repeat("---:|", len(compared)))
	for _, info := range trace.Traces() {
		if !keepTrace(info.Name) {
			continue
		}
		keys := loadTrace(t, info.Name)
		for _, ref := range info.Reference {
			res := make([]float64, len(compared))
			var wg sync.WaitGroup
			for j, a := range compared {
				wg.Go(func() { res[j] = hitRatio(a, keys, int64(ref.Size), 1) })
			}
			wg.Wait()
			fmt.Fprintf(&out, "| %s | %d | %.2f |", shortName(info.Name), ref.Size, ref.OPT)
			for _, r := range res {
				fmt.Fprintf(&out, " %.2f |", r)
			}
			out.WriteString("\n")
		}
	}
	t.Log(out.String())
}

// TestHitRatioFloors guards the hit ratios that justify the default
// policy, on traces small enough to replay in a unit test: eviction.TinyLFU must
// stay near OPT on a loop that eviction.LRU gets nothing from (we measured 49.2),
// within a point of eviction.LRU on a trace that favours eviction.LRU (we measured 70.8 and
// 89.9), and keep a small window where the same trace rewards one at 200
// entries (we measured 49.1). On p3 and scarab-recs, victims that rotate
// while rejected candidates keep returning lifted eviction.TinyLFU from 36.6 to
// 40.6 and from 51.7 to 52.8 (theine: 40.8 and 52.4).
func TestHitRatioFloors(t *testing.T) {
	for _, tc := range []struct {
		file     string
		capacity int64
		algo     eviction.Algorithm
		floor    float64
	}{
		{"loop.lirs.gz", 500, eviction.TinyLFU, 48},       // OPT 49.36, eviction.LRU 0
		{"sprite.lirs.gz", 400, eviction.TinyLFU, 69.77},  // eviction.LRU 70.77
		{"sprite.lirs.gz", 1000, eviction.TinyLFU, 89.64}, // eviction.LRU 90.64
		// A small cache of a bursty trace, where the climber used to
		// wander (45.5); otter scores 49.0 and a fixed 1% window 49.4.
		{"sprite.lirs.gz", 200, eviction.TinyLFU, 48.5},
		{"loop.lirs.gz", 500, eviction.Default, 48},
		{"p3.arc.gz", 100000, eviction.TinyLFU, 40},
		{"scarab-recs.i64be.gz", 10000, eviction.TinyLFU, 52.3},
	} {
		keys := loadTrace(t, tc.file)
		if got := hitRatio(tc.algo, keys, tc.capacity, 1); got < tc.floor {
			t.Errorf("%v on %s at %d: hit ratio %.2f%%, below the floor of %.2f%%", tc.algo, tc.file, tc.capacity, got, tc.floor)
		}
	}
}
