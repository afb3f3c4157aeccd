package eviction

import (
	"flag"
	"fmt"
	"math/bits"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/hashing"
)

var hitRatioTable = flag.Bool("hitratio", false, "replay every trace at its conventional sizes and print hit ratios (slow); also STRATA_HITRATIO=1")

// replaySeed stands in for a cache's random hash seed; fixed, so that
// ratios are reproducible.
const replaySeed = 0x5eed

type void = struct{}

// simulator replays a key stream the way a shard drives its policy: a
// resident key is a hit (Access), a missing one is added and the policy
// evicts until the weight fits. Reads reach the policy at once here; in
// a shard they arrive late and some are lost.
type simulator struct {
	policy   Policy[uint64, void]
	capacity int64
	weight   int64
	resident map[uint64]*entry.Entry[uint64, void]
}

func newSimulator(a Algorithm, capacity int64) *simulator {
	return &simulator{
		policy:   New[uint64, void](a, capacity),
		capacity: capacity,
		resident: make(map[uint64]*entry.Entry[uint64, void]),
	}
}

func (s *simulator) get(key, hash uint64) bool {
	if e := s.resident[key]; e != nil {
		s.policy.Access(e)
		return true
	}
	e := entry.New(key, void{}, hash, 1)
	e.MarkResident()
	s.resident[key] = e
	s.weight++
	s.policy.Add(e)
	for s.weight > s.capacity {
		v := s.policy.Evict()
		if v == nil {
			panic("policy evicted nothing while over capacity")
		}
		delete(s.resident, v.Key())
		v.MarkRemoved(entry.ReasonCapacity)
		s.weight -= int64(v.Weight())
	}
	return false
}

// hitRatio replays keys through shards independent policies of
// capacity/shards each, picking the shard by the hash's top bits as the
// cache does, and returns the hit ratio in percent.
func hitRatio(a Algorithm, keys []uint64, capacity int64, shards int) float64 {
	shift := 64 - bits.TrailingZeros(uint(shards))
	sims := make([]*simulator, shards)
	for i := range sims {
		sims[i] = newSimulator(a, capacity/int64(shards))
	}
	hits := 0
	for _, k := range keys {
		h := hashing.Mix(k ^ replaySeed)
		i := 0
		if shards > 1 {
			i = int(h >> shift)
		}
		if sims[i].get(k, h) {
			hits++
		}
	}
	return 100 * float64(hits) / float64(len(keys))
}

// traceSizes lists each trace with its conventional cache sizes and the
// optimal (Bélády) hit ratio at each, from shared/traces/README.md.
var traceSizes = []struct {
	file  string
	sizes []int64
	opt   []float64
}{
	{"oltp.arc.gz", []int64{250, 500, 750, 1000, 1250, 1500, 1750, 2000, 5000, 10000, 15000},
		[]float64{38.43, 46.42, 50.66, 53.61, 55.83, 57.62, 59.13, 60.40, 68.27, 73.02, 75.14}},
	{"p3.arc.gz", []int64{25000, 32768, 50000, 100000, 200000, 300000, 400000, 500000, 600000},
		[]float64{26.04, 32.25, 43.15, 62.00, 74.08, 79.51, 80.51, 80.51, 80.51}},
	{"p6.arc.gz", []int64{1024, 4096, 16384, 32768, 65536, 131072, 262144, 524288},
		[]float64{2.75, 6.89, 21.56, 38.74, 66.89, 88.00, 93.47, 93.89}},
	{"loop.lirs.gz", []int64{250, 500, 750, 1000, 1250},
		[]float64{24.63, 49.36, 74.04, 98.71, 99.80}},
	{"gli.lirs.gz", []int64{250, 500, 750, 1000, 1250, 1500, 1750, 2000},
		[]float64{17.64, 34.26, 46.10, 53.13, 57.29, 57.96, 57.96, 57.96}},
	{"sprite.lirs.gz", []int64{100, 200, 400, 600, 800, 1000},
		[]float64{50.80, 68.86, 84.56, 89.95, 92.19, 93.24}},
	{"multi2.lirs.gz", []int64{600, 1800, 3000}, []float64{55.51, 73.13, 78.40}},
	{"scarab-recs.i64be.gz", []int64{1000, 5000, 10000, 25000, 50000, 75000, 100000},
		[]float64{44.91, 59.72, 66.57, 74.79, 78.63, 79.25, 79.25}},
	{"web12.i32be.gz", []int64{300, 1200, 3000}, []float64{66.83, 79.12, 84.24}},
}

var compared = []Algorithm{LRU, SIEVE, S3FIFO, TinyLFU}

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
	for _, tr := range traceSizes {
		if !keepTrace(tr.file) {
			continue
		}
		keys := loadTrace(t, tr.file)
		name := strings.SplitN(tr.file, ".", 2)[0]
		for i, c := range tr.sizes {
			res := make([]float64, len(compared))
			var wg sync.WaitGroup
			for j, a := range compared {
				wg.Go(func() { res[j] = hitRatio(a, keys, c, 1) })
			}
			wg.Wait()
			fmt.Fprintf(&out, "| %s | %d | %.2f |", name, c, tr.opt[i])
			for _, r := range res {
				fmt.Fprintf(&out, " %.2f |", r)
			}
			out.WriteString("\n")
		}
	}
	t.Log(out.String())
}
