package benchmarks

import (
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// GCResult is what the garbage collector cost while a large cache served
// a steady mixed load.
type GCResult struct {
	Entries    int     // capacity, all filled before the load starts
	AllocRate  float64 // bytes per second the stand-in application allocated
	LiveHeap   int64   // live heap with the cache filled
	Seconds    float64 // length of the measured load
	Cycles     uint32  // GC cycles during the load
	GCFraction float64 // GC CPU over all available CPU during the load
	// GCBusyFraction is GCFraction without idle-priority marking, which
	// only uses CPU that nothing else wanted; what remains (dedicated and
	// fractional workers, assists, pauses) is taken from the program.
	GCBusyFraction float64
	GCPerCycle     time.Duration // GC CPU time per cycle
	MaxPause       time.Duration // longest stop-the-world GC pause during the load
	Mops           float64       // throughput of the load
	CPUShare       float64       // CPU the process got over elapsed × GOMAXPROCS
}

// GCMix is the load of the GC scenario.
var GCMix = Mix{"75/25", 25}

// AppChunk is the size of the objects the stand-in application allocates
// in the GC scenario.
const AppChunk = 4 << 10

// allocateAt allocates rate bytes per second in AppChunk objects, each
// kept alive briefly in a ring, until stop is set. It stands for the
// garbage of the application around a cache, at a rate that does not
// depend on how fast the cache is, so that every cache sees GC cycles at a
// pace set only by its heap size.
func allocateAt(rate float64, stop *atomic.Bool, done func()) {
	defer done()
	ring := &appGarbage // package-level, so the objects must be on the heap
	n := 0
	t0 := time.Now()
	for !stop.Load() {
		due := int(rate * time.Since(t0).Seconds() / AppChunk)
		for ; n < due; n++ {
			ring[n%len(ring)] = make([]byte, AppChunk)
		}
		time.Sleep(time.Millisecond)
	}
	clear(ring[:])
}

// MinGCCycles is how many GC cycles the GC scenario waits for, beyond its
// nominal length, before it stops.
const MinGCCycles = 3

// appGarbage holds the stand-in application's most recent objects.
var appGarbage [1024][]byte

// gcSink keeps the workers' reads alive.
var gcSink atomic.Uint64

var gcMetrics = []string{
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/gc/cycles/total:gc-cycles",
	"/sched/pauses/total/gc:seconds",
	"/cpu/classes/gc/mark/idle:cpu-seconds",
}

// gcShares returns the GC's share of the CPU the process used between
// two readings of gcMetrics, with and without idle-priority marking.
func gcShares(m0, m1 []metrics.Sample) (all, busy float64) {
	gcCPU := m1[0].Value.Float64() - m0[0].Value.Float64()
	allCPU := m1[1].Value.Float64() - m0[1].Value.Float64()
	idleCPU := m1[4].Value.Float64() - m0[4].Value.Float64()
	if allCPU <= 0 {
		return 0, 0
	}
	return gcCPU / allCPU, (gcCPU - idleCPU) / allCPU
}

func readGCMetrics() []metrics.Sample {
	s := make([]metrics.Sample, len(gcMetrics))
	for i, name := range gcMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	return s
}

// MeasureGC fills a uint64→uint64 cache of n entries, then runs GCMix with
// goroutines workers over keys (Zipf ranks over twice as many keys as
// fit, so cold writes evict) for d while another goroutine allocates
// allocRate bytes per second, and reports the GC's share of CPU, its CPU
// per cycle and its longest pause. Run it in a fresh process so that no
// other heap is scanned.
func MeasureGC(im Impl, n int, keys []uint64, goroutines int, d time.Duration, allocRate float64) GCResult {
	c := im.U64(Config{Capacity: n})
	defer c.Close()
	Prefill(c, n)
	res := GCResult{Entries: n, AllocRate: allocRate, LiveHeap: liveHeap()}

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	m0 := readGCMetrics()

	mask := uint64(len(keys) - 1)
	thr := writeThreshold(GCMix.WritePct)
	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		total atomic.Uint64
	)
	cpu0, t0 := ProcessCPU(), time.Now()
	if allocRate > 0 {
		wg.Add(1)
		go allocateAt(allocRate, &stop, wg.Done)
	}
	for g := range goroutines {
		wg.Add(1)
		go func(pos uint64) {
			defer wg.Done()
			var (
				ops, sink uint64
			)
			for !stop.Load() {
				for range batch {
					k := keys[pos&mask]
					if writeOp(pos, thr) {
						c.Set(k, pos)
					} else {
						v, _ := c.Get(k)
						sink += v
					}
					pos++
				}
				ops += batch
			}
			total.Add(ops)
			gcSink.Add(sink)
		}(uint64(g) * (mask + 1) / uint64(goroutines))
	}
	// Run for d, and on (up to 2d) until MinGCCycles cycles have finished,
	// so that a cache with a large heap still shows several cycles.
	time.Sleep(d)
	cycles := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	for time.Since(t0) < 2*d {
		metrics.Read(cycles)
		if cycles[0].Value.Uint64()-m0[2].Value.Uint64() >= MinGCCycles {
			break
		}
		time.Sleep(d / 20)
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	res.CPUShare = float64(ProcessCPU()-cpu0) / float64(elapsed) / float64(runtime.GOMAXPROCS(0))
	m1 := readGCMetrics()
	runtime.ReadMemStats(&ms1)

	res.Seconds = elapsed.Seconds()
	res.Mops = float64(total.Load()) / elapsed.Seconds() / 1e6
	gcCPU := m1[0].Value.Float64() - m0[0].Value.Float64()
	res.GCFraction, res.GCBusyFraction = gcShares(m0, m1)
	res.Cycles = ms1.NumGC - ms0.NumGC
	if res.Cycles > 0 {
		res.GCPerCycle = time.Duration(gcCPU / float64(res.Cycles) * 1e9)
	}
	// Exact pauses from MemStats when the ring still holds them all,
	// otherwise the upper bound of the highest histogram bucket that grew.
	if res.Cycles <= uint32(len(ms1.PauseNs)) {
		for i := ms0.NumGC + 1; i <= ms1.NumGC; i++ {
			p := time.Duration(ms1.PauseNs[(i+255)%256])
			res.MaxPause = max(res.MaxPause, p)
		}
	} else {
		h0, h1 := m0[3].Value.Float64Histogram(), m1[3].Value.Float64Histogram()
		for i := len(h1.Counts) - 1; i >= 0; i-- {
			if h1.Counts[i] > h0.Counts[i] {
				b := h1.Buckets[i+1]
				if math.IsInf(b, 1) {
					b = h1.Buckets[i]
				}
				res.MaxPause = time.Duration(b * 1e9)
				break
			}
		}
	}
	return res
}
