package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

// The GC-free suite (-suite gcfree) compares Strata's GC-free tier with
// the pointer-free caches (freecache, fastcache, bigcache) and the object
// caches (otter, Strata's) at a few million entries of 16-byte keys and
// 64-byte values. Each cache runs in a child process of its own at each
// size: it is filled, its footprint and a full collection are measured,
// then a steady 90/10 load while a stand-in application allocates, then
// throughput at each goroutine count.

type gcfreeConfig struct {
	Sizes      []int
	Load       time.Duration // length of the GC load
	Throughput time.Duration // length of one timed throughput run
	AllocMBps  float64
	Goroutines []int
}

// gcfreeChild is what one child measures for one cache at one size.
type gcfreeChild struct {
	Footprint  benchmarks.FootprintResult
	Load       benchmarks.GCLoadResult
	Throughput []gcfreeTP
	LoadAvg    string // at the end of the child
}

type gcfreeTP struct {
	Goroutines int
	Mix        string
	Mops       float64
	HitRatio   float64
	CPUShare   float64
	Errors     uint64
}

type gcfreeResult struct {
	Cache   string
	Entries int
	Err     string `json:",omitempty"`
	gcfreeChild
}

type gcfreeReport struct {
	Started time.Time
	Wall    time.Duration
	Machine machine
	Config  gcfreeConfig
	Impls   []implInfo
	Results []gcfreeResult
}

// gcfreeMixes are the throughput mixes: Get alone, the load's mix, Set alone.
var gcfreeMixes = []benchmarks.Mix{{Name: "100% read", WritePct: 0}, benchmarks.GCFreeMix, {Name: "100% write", WritePct: 100}}

func runGCFree(cfg gcfreeConfig, impls []benchmarks.ByteImpl, q *quiet) *gcfreeReport {
	rep := &gcfreeReport{Started: time.Now(), Machine: machineInfo(), Config: cfg}
	for _, im := range impls {
		rep.Impls = append(rep.Impls, implInfo{Name: im.Name, Notes: im.Notes})
	}
	for _, n := range cfg.Sizes {
		for _, im := range impls {
			q.wait(fmt.Sprintf("gcfree %s at %d", im.Name, n))
			o := childOptions{Cache: im.Name, Entries: n, Duration: cfg.Load, TPDuration: cfg.Throughput,
				Rate: cfg.AllocMBps * (1 << 20), Samples: 1 << 21, ZipfS: 1.0}
			r := gcfreeResult{Cache: im.Name, Entries: n}
			if err := inChild("gcfree", o, &r.gcfreeChild); err != nil {
				r.Err = err.Error()
				logf("gcfree %s at %d: %v", im.Name, n, err)
			} else {
				f, l := r.Footprint, r.Load
				logf("gcfree %-20s n=%d resident %d, %.1f B/entry, %d objects, GC %v; load: GC %.2f%% CPU, p99 %v, %.2f Mops/s",
					im.Name, n, f.Resident, f.BytesPerEntry, f.Objects, f.BestGC, 100*l.GCFraction, l.P99, l.Mops)
			}
			rep.Results = append(rep.Results, r)
		}
	}
	rep.Machine.LoadAfter = loadAvg()
	rep.Machine.QuietWaited, rep.Machine.QuietGaveUp = q.waited, q.worst
	rep.Wall = time.Since(rep.Started)
	return rep
}

// runGCFreeChild measures one cache at o.Entries in this fresh process.
func runGCFreeChild(o childOptions) error {
	im, ok := benchmarks.LookupByte(o.Cache)
	if !ok {
		return fmt.Errorf("unknown cache %q", o.Cache)
	}
	var res gcfreeChild
	c, fp := benchmarks.MeasureFootprint(im, o.Entries)
	res.Footprint = fp
	fmt.Fprintf(os.Stderr, "  gcfree child %s: filled %d in %v\n", o.Cache, o.Entries, fp.Fill.Round(time.Millisecond))
	// Zipf ranks over twice the entries: hot keys stay resident, cold
	// writes insert and evict.
	keys := benchmarks.ZipfKeys(2*o.Entries, o.Samples, o.ZipfS, 2)
	res.Load = benchmarks.MeasureGCLoad(c, keys, runtime.GOMAXPROCS(0), o.Duration, o.Rate)
	for _, g := range []int{2, 8} {
		for _, mix := range gcfreeMixes {
			benchmarks.RunByteMix(c, keys, mix, g, o.TPDuration/4)
			r, errs := benchmarks.RunByteMix(c, keys, mix, g, o.TPDuration)
			res.Throughput = append(res.Throughput, gcfreeTP{Goroutines: g, Mix: mix.Name, Mops: r.Mops(),
				HitRatio: r.HitRatio(), CPUShare: r.CPUShare, Errors: errs})
		}
	}
	c.Close()
	res.LoadAvg = loadAvg()
	return json.NewEncoder(os.Stdout).Encode(res)
}
