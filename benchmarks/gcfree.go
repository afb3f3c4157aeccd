package benchmarks

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FootprintResult is what a cache filled with n entries costs: memory,
// live heap objects, and the wall time of a full collection with it live.
type FootprintResult struct {
	Entries  int // written
	Resident int // found by Get afterwards
	// HeapBytes is the growth of the live heap; RSSBytes the growth of
	// the resident set once freed heap is returned to the OS, which also
	// counts memory allocated off the Go heap (fastcache's chunks).
	HeapBytes, RSSBytes int64
	// BytesPerEntry is RSSBytes per resident entry.
	BytesPerEntry float64
	// Objects is the growth in live heap objects.
	Objects int64
	// GCs are the wall times of three runtime.GC() calls in a row, the
	// cache live; BestGC the shortest.
	GCs    []time.Duration
	BestGC time.Duration
	Fill   time.Duration
}

// residentSetBytes returns the process's resident set (VmRSS), or 0
// where /proc is not available.
func residentSetBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/objects:objects"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// settle collects garbage and returns freed memory to the OS, so that
// the heap and resident set that follow are the live ones.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

// fillBytes stores keys n-1 down to 0, the hottest last, each with its
// value, as every measurement of the byte caches starts.
func fillBytes(c ByteCache, n int) {
	var key [KeyLen]byte
	value := make([]byte, ValueLen)
	for i := n - 1; i >= 0; i-- {
		PutKey(&key, uint64(i))
		PutValue(value, uint64(i))
		// A string of its own: a cache may keep it (the fill is not timed).
		c.Set(Key{B: key[:], S: string(key[:])}, value)
	}
}

// NewFilled builds a cache for n entries with im and writes n of them, as
// MeasureFootprint does, measuring nothing.
func NewFilled(im ByteImpl, n int) ByteCache {
	c := im.New(n)
	fillBytes(c, n)
	return c
}

// MeasureFootprint builds a cache for n entries with im, writes n of them
// (keys 0..n-1, coldest first) and returns the cache with what it costs.
// Run it in a fresh process, so that no other heap is scanned.
func MeasureFootprint(im ByteImpl, n int) (ByteCache, FootprintResult) {
	settle()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0, rss0, obj0 := int64(ms.HeapAlloc), residentSetBytes(), heapObjects()

	t0 := time.Now()
	c := im.New(n)
	fillBytes(c, n)
	var key [KeyLen]byte
	res := FootprintResult{Entries: n, Fill: time.Since(t0)}
	buf := make([]byte, 0, ValueLen)
	for i := range uint64(n) {
		PutKey(&key, i)
		if _, ok := c.Get(buf[:0], Key{B: key[:], S: string(key[:])}); ok {
			res.Resident++
		}
	}
	settle()
	runtime.ReadMemStats(&ms)
	res.HeapBytes = int64(ms.HeapAlloc) - heap0
	res.RSSBytes = residentSetBytes() - rss0
	res.Objects = heapObjects() - obj0
	if res.Resident > 0 {
		res.BytesPerEntry = float64(res.RSSBytes) / float64(res.Resident)
	}
	for range 3 {
		t := time.Now()
		runtime.GC()
		d := time.Since(t)
		res.GCs = append(res.GCs, d)
		if res.BestGC == 0 || d < res.BestGC {
			res.BestGC = d
		}
	}
	runtime.KeepAlive(c)
	return c, res
}

// GCLoadResult is what a steady 90/10 load on a filled cache cost while a
// stand-in application allocated: the GC's CPU, and Get latency.
type GCLoadResult struct {
	Seconds    float64
	Mops       float64
	HitRatio   float64
	Cycles     uint64
	GCFraction float64 // GC CPU over all CPU the process used
	// GCBusyFraction leaves out idle-priority marking, which only used
	// CPU nothing else wanted.
	GCBusyFraction float64
	P50, P99, P999 time.Duration
	CPUShare       float64 // CPU the process got over elapsed × min(goroutines, GOMAXPROCS)
	Errors         uint64  // values that were not whole (must be 0)
}

// GCFreeMix is the read/write mix of the load scenario.
var GCFreeMix = Mix{"90/10", 10}

// MeasureGCLoad runs GCFreeMix on c with goroutines workers over keys
// (of Zipf ranks), while another goroutine allocates
// allocRate bytes per second, timing every SampleEvery-th Get. It runs
// for d, and on (up to 8d) until MinGCCycles collections have finished,
// so that a cache with a large heap, which the GC visits rarely, still
// shows what its cycles cost.
func MeasureGCLoad(c ByteCache, keys *KeyText, goroutines int, d time.Duration, allocRate float64) GCLoadResult {
	settle()
	m0 := readGCMetrics()
	var stopApp atomic.Bool
	var app sync.WaitGroup
	if allocRate > 0 {
		app.Add(1)
		go allocateAt(allocRate, &stopApp, app.Done)
	}
	var (
		total Result
		hist  = NewHistogram()
		errs  uint64
		slice = d / 4
	)
	for total.Elapsed < d || (total.Elapsed < 8*d && readGCMetrics()[2].Value.Uint64()-m0[2].Value.Uint64() < MinGCCycles) {
		r, h, e := runByteMix(c, keys, GCFreeMix, goroutines, slice, true)
		total.add(r)
		total.CPUShare = (total.CPUShare*total.Elapsed.Seconds() + r.CPUShare*r.Elapsed.Seconds()) /
			(total.Elapsed + r.Elapsed).Seconds()
		total.Elapsed += r.Elapsed
		hist.Merge(h)
		errs += e
	}
	stopApp.Store(true)
	app.Wait()
	m1 := readGCMetrics()
	res := GCLoadResult{Seconds: total.Elapsed.Seconds(), Mops: total.Mops(), HitRatio: total.HitRatio(), CPUShare: total.CPUShare,
		P50: hist.Quantile(0.5), P99: hist.Quantile(0.99), P999: hist.Quantile(0.999), Errors: errs,
		Cycles: m1[2].Value.Uint64() - m0[2].Value.Uint64()}
	res.GCFraction, res.GCBusyFraction = gcShares(m0, m1)
	return res
}

// RunByteMix runs mix on c like RunMix, over keys, and reports throughput.
func RunByteMix(c ByteCache, keys *KeyText, mix Mix, goroutines int, d time.Duration) (Result, uint64) {
	r, _, errs := runByteMix(c, keys, mix, goroutines, d, false)
	return r, errs
}

func runByteMix(c ByteCache, keys *KeyText, mix Mix, goroutines int, d time.Duration, timed bool) (Result, *Histogram, uint64) {
	n := uint64(keys.Len())
	thr := writeThreshold(mix.WritePct)
	hists := make([]*Histogram, goroutines)
	for g := range hists {
		hists[g] = NewHistogram()
	}
	var errors atomic.Uint64
	total := drive(goroutines, d, func(g int, stop *atomic.Bool) Result {
		var (
			r Result
			h = hists[g]
		)
		value := make([]byte, ValueLen)
		buf := make([]byte, 0, ValueLen)
		for pos := uint64(g) * n / uint64(goroutines); !stop.Load(); {
			for range batch {
				key := keys.At(pos)
				if writeOp(pos, thr) {
					PutValue(value, pos)
					c.Set(key, value)
					pos++
					continue
				}
				r.Reads++
				sample := timed && pos%SampleEvery == 0
				var t0 time.Time
				if sample {
					t0 = time.Now()
				}
				v, ok := c.Get(buf[:0], key)
				if sample {
					h.Record(time.Since(t0))
				}
				if ok {
					r.Hits++
					if checkValue(v) != nil {
						errors.Add(1)
					}
				}
				pos++
			}
			r.Ops += batch
		}
		return r
	})
	h := NewHistogram()
	for _, x := range hists {
		h.Merge(x)
	}
	return total, h, errors.Load()
}
