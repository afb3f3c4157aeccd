package replay

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stratacache/cache/benchmarks/internal/trace"
	"github.com/stratacache/cache/eviction"
)

// TestShardingTable simulates a sharded cache (keys hashed into n
// independent policies of capacity/n each) and prints how far its hit
// ratio falls from one policy holding the whole capacity, then, for each
// candidate per-shard minimum, the worst loss among the runs whose shards
// are at least that big. The cache's minShardCapacity should be a value
// whose worst loss stays within half a point.
func TestShardingTable(t *testing.T) {
	wantTable(t)
	type run struct {
		trace    string
		capacity int64
		shards   int
		loss     float64
	}
	var runs []run
	var mu sync.Mutex
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, info := range trace.Traces() {
		if !keepTrace(info.Name) || info.Name == "p6.arc.gz" { // p6: too long to replay 7 times per size
			continue
		}
		keys := loadTrace(t, info.Name)
		name := shortName(info.Name)
		for _, size := range info.Sizes {
			c := int64(size)
			for _, a := range []eviction.Algorithm{eviction.TinyLFU} {
				for n := 1; n <= 64; n *= 2 {
					if c/int64(n) < 64 {
						break
					}
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						r := hitRatio(a, keys, c, n)
						mu.Lock()
						defer mu.Unlock()
						runs = append(runs, run{name, c, n, r})
					}()
				}
			}
		}
	}
	wg.Wait()
	// Turn ratios into losses against the one-shard run.
	single := map[string]float64{}
	key := func(r run) string { return fmt.Sprint(r.trace, r.capacity) }
	for _, r := range runs {
		if r.shards == 1 {
			single[key(r)] = r.loss
		}
	}
	for i := range runs {
		runs[i].loss = single[key(runs[i])] - runs[i].loss
	}
	slices.SortFunc(runs, func(a, b run) int {
		if c := strings.Compare(a.trace, b.trace); c != 0 {
			return c
		}
		if a.capacity != b.capacity {
			return int(a.capacity - b.capacity)
		}
		return a.shards - b.shards
	})
	var out strings.Builder
	out.WriteString("\n| trace | capacity | shards | per shard | loss (points) |\n|---|---:|---:|---:|---:|\n")
	for _, r := range runs {
		if r.shards > 1 {
			fmt.Fprintf(&out, "| %s | %d | %d | %d | %.2f |\n", r.trace, r.capacity, r.shards, r.capacity/int64(r.shards), r.loss)
		}
	}
	out.WriteString("\n| per-shard minimum | runs | worst loss | where |\n|---:|---:|---:|---|\n")
	for _, m := range []int64{64, 128, 256, 512, 1024, 2048, 4096, 8192} {
		worst, where, n := math.Inf(-1), "", 0
		for _, r := range runs {
			if r.shards > 1 && r.capacity/int64(r.shards) >= m {
				n++
				if r.loss > worst {
					worst, where = r.loss, fmt.Sprintf("%s c=%d n=%d", r.trace, r.capacity, r.shards)
				}
			}
		}
		fmt.Fprintf(&out, "| %d | %d | %.2f | %s |\n", m, n, worst, where)
	}
	t.Log(out.String())
}
