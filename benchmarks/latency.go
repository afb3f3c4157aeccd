package benchmarks

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SampleEvery is the stride of latency sampling: of every SampleEvery
// operations, the first is timed if it is a Get.
const SampleEvery = 16

// LatencyResult holds Get latencies measured under a mixed load.
type LatencyResult struct {
	P50, P99, P999, Max time.Duration
	Samples             uint64
	Mops                float64 // throughput of the whole run, timed ops included
	CPUShare            float64 // as in Result
}

// RunLatency runs mix on c like RunMix and times every SampleEvery-th
// operation that is a Get with time.Now around the single call.
func RunLatency(c Cache[uint64, uint64], keys []uint64, mix Mix, goroutines int, d time.Duration) LatencyResult {
	mask := uint64(len(keys) - 1)
	thr := writeThreshold(mix.WritePct)
	var (
		stop  atomic.Bool
		start = make(chan struct{})
		wg    sync.WaitGroup
		hists = make([]*Histogram, goroutines)
		ops   = make([]paddedResult, goroutines)
	)
	for g := range goroutines {
		hists[g] = NewHistogram()
		wg.Add(1)
		go func(pos uint64, h *Histogram, out *Result) {
			defer wg.Done()
			var r Result
			<-start
			for !stop.Load() {
				for range batch {
					k := keys[pos&mask]
					switch {
					case writeOp(pos, thr):
						c.Set(k, pos)
					case pos%SampleEvery == 0:
						t0 := time.Now()
						v, _ := c.Get(k)
						h.Record(time.Since(t0))
						r.sink += v
					default:
						v, _ := c.Get(k)
						r.sink += v
					}
					pos++
				}
				r.Ops += batch
			}
			*out = r
		}(uint64(g)*(mask+1)/uint64(goroutines), hists[g], &ops[g].Result)
	}
	cpu0, t0 := ProcessCPU(), time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	share := float64(ProcessCPU()-cpu0) / float64(elapsed) / float64(min(goroutines, runtime.GOMAXPROCS(0)))
	h := NewHistogram()
	var total Result
	for g := range goroutines {
		h.Merge(hists[g])
		total.add(ops[g].Result)
	}
	total.Elapsed = elapsed
	return LatencyResult{
		P50: h.Quantile(0.50), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Max(),
		Samples: h.Count(), Mops: total.Mops(), CPUShare: share,
	}
}

// TimerOverhead returns the median cost of an empty time.Now/time.Since
// pair, which every latency sample includes.
func TimerOverhead() time.Duration {
	h := NewHistogram()
	for range 1 << 16 {
		t0 := time.Now()
		h.Record(time.Since(t0))
	}
	return h.Quantile(0.5)
}
