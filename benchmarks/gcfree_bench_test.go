package benchmarks

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGCFreeThroughput runs the throughput scenario of the GC-free
// suite (-suite gcfree) for Strata's GC-free caches (and the typed
// cache read with Get) beside freecache and fastcache in one process, so that their ratios can be compared and
// profiled with `go test -bench`: each cache is filled with n entries
// (coldest first), then runs Get alone, the load's 90/10 mix and Set alone
// over Zipf (s = 1) ranks of 2n keys, from 2 and 8 goroutines. n is
// STRATA_GCFREE_N, 1,000,000 by default; each cache is filled once per
// process, when a benchmark first uses it, and reused by -count.
//
//	go test -run '^$' -bench GCFreeThroughput -count 3 -benchtime 1s
func BenchmarkGCFreeThroughput(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("STRATA_GCFREE_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("STRATA_GCFREE_N=%q: want a positive integer", s)
		}
		n = v
	}
	keys := gcfreeBenchKeys(n)
	names := []string{"strata-gcfree", "strata-gcfree-get", "strata-gcfree-bytes", "freecache", "fastcache"}
	// The caches of one point run back to back, so that the load other
	// work puts on the machine changes little between them.
	for _, mix := range []Mix{{"read", 0}, {"90-10", 10}, {"write", 100}} {
		for _, g := range []int{2, 8} {
			for _, name := range names {
				b.Run(mix.Name+"/g="+strconv.Itoa(g)+"/"+name, func(b *testing.B) {
					// Filled on first use, so that -bench can pick caches
					// without paying for the others' memory.
					benchByteMix(b, gcfreeBenchCache(b, name, n), keys, mix.WritePct, g)
				})
			}
		}
	}
}

// gcfreeBenchWarm is how long each cache runs the load's mix before its
// first point: the suite's default load length.
const gcfreeBenchWarm = 4 * time.Second

var (
	gcfreeBenchMu     sync.Mutex
	gcfreeBenchCaches = map[string]ByteCache{}
	gcfreeBenchKeySet = map[int]*KeyText{}
)

func gcfreeBenchKeys(n int) *KeyText {
	gcfreeBenchMu.Lock()
	defer gcfreeBenchMu.Unlock()
	return gcfreeBenchKeysLocked(n)
}

func gcfreeBenchKeysLocked(n int) *KeyText {
	if k, ok := gcfreeBenchKeySet[n]; ok {
		return k
	}
	k := NewKeyText(ZipfKeys(2*n, 1<<21, 1.0, 2))
	gcfreeBenchKeySet[n] = k
	return k
}

func gcfreeBenchCache(b *testing.B, name string, n int) ByteCache {
	gcfreeBenchMu.Lock()
	defer gcfreeBenchMu.Unlock()
	id := name + "/" + strconv.Itoa(n)
	if c, ok := gcfreeBenchCaches[id]; ok {
		return c
	}
	im, ok := LookupByte(name)
	if !ok {
		b.Fatalf("no cache %q", name)
	}
	c := im.New(n)
	fillBytes(c, n)
	// As in the suite: the load's mix first, unmeasured, so that caches
	// that append every write have wrapped their logs and faulted in
	// their memory before any point is timed.
	RunByteMix(c, gcfreeBenchKeysLocked(n), GCFreeMix, runtime.GOMAXPROCS(0), gcfreeBenchWarm)
	gcfreeBenchCaches[id] = c
	return c
}

// benchByteMix is runByteMix's loop under b.RunParallel: goroutines
// workers on GOMAXPROCS threads, as in the suite (go test's -cpu sets
// GOMAXPROCS, not the goroutine count). Besides ns/op it reports the
// process's CPU time per operation.
func benchByteMix(b *testing.B, c ByteCache, keys *KeyText, writePct, goroutines int) {
	n := uint64(keys.Len())
	thr := writeThreshold(writePct)
	var next, torn atomic.Uint64
	b.SetParallelism(max(1, goroutines/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := ProcessCPU()
	b.RunParallel(func(pb *testing.PB) {
		value := make([]byte, ValueLen)
		buf := make([]byte, 0, ValueLen)
		pos := (next.Add(1) - 1) * n / uint64(goroutines)
		for pb.Next() {
			key := keys.At(pos)
			if writeOp(pos, thr) {
				PutValue(value, pos)
				c.Set(key, value)
			} else if v, ok := c.Get(buf[:0], key); ok && checkValue(v) != nil {
				torn.Add(1)
			}
			pos++
		}
	})
	// CPU time per operation moves less than wall time when other work
	// on the machine takes the cores.
	b.ReportMetric(float64(ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if torn.Load() != 0 {
		b.Fatalf("%d torn values", torn.Load())
	}
}
