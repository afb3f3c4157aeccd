package benchmarks

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Mix is a read/write ratio.
type Mix struct {
	Name     string
	WritePct int // percentage of operations that are Set; the rest are Get
}

// Mixes are the ratios the suite measures, read-only first.
var Mixes = []Mix{
	{"100% read", 0},
	{"90/10", 10},
	{"75/25", 25},
	{"50/50", 50},
	{"100% write", 100},
}

// writeThreshold turns a percentage into the threshold writeOp compares
// against: op pos is a write when the top byte of a Fibonacci hash of pos
// is below it. Writes are so spread evenly through each goroutine's walk.
func writeThreshold(pct int) uint64 {
	return uint64((pct*256 + 50) / 100)
}

func writeOp(pos, threshold uint64) bool {
	return (pos*0x9E3779B97F4A7C15)>>56 < threshold
}

// batch is how many operations a worker runs between looks at the stop flag.
const batch = 256

// Result counts what one timed run did.
type Result struct {
	Ops, Reads, Hits uint64
	Elapsed          time.Duration
	// CPUShare is the CPU time the process got during the run over the
	// CPU time it could use (elapsed × min(goroutines, GOMAXPROCS)). Well
	// below 1 means something else on the machine took the CPU.
	CPUShare float64
	sink     uint64
}

// Mops returns millions of operations per second.
func (r Result) Mops() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds() / 1e6
}

// HitRatio returns the fraction of Gets that hit.
func (r Result) HitRatio() float64 {
	if r.Reads == 0 {
		return 0
	}
	return float64(r.Hits) / float64(r.Reads)
}

func (r *Result) add(o Result) {
	r.Ops += o.Ops
	r.Reads += o.Reads
	r.Hits += o.Hits
	r.sink += o.sink
}

// paddedResult keeps workers' results on separate cache lines.
type paddedResult struct {
	Result
	_ [64]byte
}

// RunMix runs mix on c with the given number of goroutines for about d.
// Each goroutine starts at its own offset in keys (whose length must be a
// power of two) and walks it in order, so no two goroutines replay the
// same sequence at the same time. Writes store the position as value.
func RunMix(c Cache[uint64, uint64], keys []uint64, mix Mix, goroutines int, d time.Duration) Result {
	mask := uint64(len(keys) - 1)
	if len(keys)&(len(keys)-1) != 0 {
		panic("benchmarks: RunMix needs a power-of-two key count")
	}
	thr := writeThreshold(mix.WritePct)
	return drive(goroutines, d, func(g int, stop *atomic.Bool) Result {
		var r Result
		for pos := uint64(g) * (mask + 1) / uint64(goroutines); !stop.Load(); {
			for range batch {
				k := keys[pos&mask]
				if writeOp(pos, thr) {
					c.Set(k, pos)
				} else {
					r.Reads++
					if v, ok := c.Get(k); ok {
						r.Hits++
						r.sink += v
					}
				}
				pos++
			}
			r.Ops += batch
		}
		return r
	})
}

// drive runs work on goroutines goroutines, all started together, for
// about d: work(g, stop) loops until stop is set and returns what it did.
// It returns the sum, with the elapsed time and the CPU share.
func drive(goroutines int, d time.Duration, work func(g int, stop *atomic.Bool) Result) Result {
	var (
		stop  atomic.Bool
		start = make(chan struct{})
		wg    sync.WaitGroup
		res   = make([]paddedResult, goroutines)
	)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res[g].Result = work(g, &stop)
		}()
	}
	cpu0, t0 := ProcessCPU(), time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	var total Result
	total.Elapsed = time.Since(t0)
	total.CPUShare = float64(ProcessCPU()-cpu0) / float64(total.Elapsed) / float64(min(goroutines, runtime.GOMAXPROCS(0)))
	for i := range res {
		total.add(res[i].Result)
	}
	return total
}
