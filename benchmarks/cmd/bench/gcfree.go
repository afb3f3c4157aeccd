package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

// The GC-free suite (-suite gcfree) compares Strata's GC-free tier with
// the pointer-free caches (freecache, fastcache, bigcache) and the object
// caches (otter, Strata's) at a few million entries of 16-byte keys and
// 64-byte values. Each cache runs in a child process of its own at each
// size: it is filled, its footprint and a full collection are measured,
// then a steady 90/10 load while a stand-in application allocates.
// Throughput is measured afterwards in rounds, each cache once per round
// in a fresh child, the caches' order rotating from round to round, and
// each point is the median of the rounds: on a shared machine whose load
// drifts over minutes, one run per cache in a fixed order favoured
// whichever cache ran when the machine was quietest.

type gcfreeConfig struct {
	Sizes      []int
	Load       time.Duration // length of the GC load
	Throughput time.Duration // length of one timed throughput run
	AllocMBps  float64
	Goroutines []int
	Rounds     int // throughput rounds; each point is their median
}

// gcfreeChild is what one child measures for one cache at one size.
type gcfreeChild struct {
	Footprint  benchmarks.FootprintResult
	Load       benchmarks.GCLoadResult
	Throughput []gcfreeTP // the median of the rounds, in the parent
	LoadAvg    string     // at the end of the child
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
	Rounds [][]gcfreeTP // each throughput round's points
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
		first := len(rep.Results)
		for _, im := range impls {
			q.wait(fmt.Sprintf("gcfree %s at %d", im.Name, n))
			r := gcfreeResult{Cache: im.Name, Entries: n}
			if err := inChild("gcfree", gcfreeChildOptions(cfg, im.Name, n, false), &r.gcfreeChild); err != nil {
				r.Err = err.Error()
				logf("gcfree %s at %d: %v", im.Name, n, err)
			} else {
				f, l := r.Footprint, r.Load
				logf("gcfree %-20s n=%d resident %d, %.1f B/entry, %d objects, GC %v; load: GC %.2f%% CPU, p99 %v, %.2f Mops/s",
					im.Name, n, f.Resident, f.BytesPerEntry, f.Objects, f.BestGC, 100*l.GCFraction, l.P99, l.Mops)
			}
			rep.Results = append(rep.Results, r)
		}
		results := rep.Results[first:]
		for round := range max(cfg.Rounds, 1) {
			for k := range results {
				r := &results[(k+round)%len(results)]
				if r.Err != "" {
					continue
				}
				q.wait(fmt.Sprintf("gcfree throughput %s at %d, round %d", r.Cache, n, round+1))
				var c gcfreeChild
				if err := inChild("gcfree", gcfreeChildOptions(cfg, r.Cache, n, true), &c); err != nil {
					r.Err = err.Error()
					logf("gcfree throughput %s at %d: %v", r.Cache, n, err)
					continue
				}
				r.Rounds = append(r.Rounds, c.Throughput)
				logf("gcfree throughput %-20s n=%d round %d: %s", r.Cache, n, round+1, tpSummary(c.Throughput))
			}
		}
		for i := range results {
			results[i].Throughput = medianRounds(results[i].Rounds)
		}
	}
	rep.Machine.LoadAfter = loadAvg()
	rep.Machine.QuietWaited, rep.Machine.QuietGaveUp = q.waited, q.worst
	rep.Wall = time.Since(rep.Started)
	return rep
}

func gcfreeChildOptions(cfg gcfreeConfig, cache string, n int, tpOnly bool) childOptions {
	return childOptions{Cache: cache, Entries: n, Duration: cfg.Load, TPDuration: cfg.Throughput,
		Rate: cfg.AllocMBps * (1 << 20), Samples: 1 << 21, ZipfS: 1.0, TPOnly: tpOnly}
}

func tpSummary(tp []gcfreeTP) string {
	var b []byte
	for _, t := range tp {
		b = fmt.Appendf(b, " %s/g%d %.2f", t.Mix, t.Goroutines, t.Mops)
	}
	return string(b)
}

// medianRounds returns, point by point, the round with the median Mops
// (the lower middle one for an even count).
func medianRounds(rounds [][]gcfreeTP) []gcfreeTP {
	if len(rounds) == 0 {
		return nil
	}
	out := make([]gcfreeTP, len(rounds[0]))
	for i := range out {
		pts := make([]gcfreeTP, 0, len(rounds))
		for _, r := range rounds {
			if i < len(r) {
				pts = append(pts, r[i])
			}
		}
		slices.SortFunc(pts, func(a, b gcfreeTP) int { return cmp.Compare(a.Mops, b.Mops) })
		out[i] = pts[(len(pts)-1)/2]
	}
	return out
}

// runGCFreeChild measures one cache at o.Entries in this fresh process:
// footprint and GC load, or (o.TPOnly) throughput.
func runGCFreeChild(o childOptions) error {
	im, ok := benchmarks.LookupByte(o.Cache)
	if !ok {
		return fmt.Errorf("unknown cache %q", o.Cache)
	}
	// Zipf ranks over twice the entries: hot keys stay resident, cold
	// writes insert and evict.
	keys := benchmarks.NewKeyText(benchmarks.ZipfKeys(2*o.Entries, o.Samples, o.ZipfS, 2))
	var res gcfreeChild
	if o.TPOnly {
		c := benchmarks.NewFilled(im, o.Entries)
		// Bring the cache to its steady state first, as the GC load does
		// in the other child: a cache that appends every write (fastcache,
		// freecache, bigcache) is slower until its log has wrapped, its
		// memory faulted in.
		benchmarks.RunByteMix(c, keys, benchmarks.GCFreeMix, runtime.GOMAXPROCS(0), o.Duration)
		for _, g := range []int{2, 8} {
			for _, mix := range gcfreeMixes {
				benchmarks.RunByteMix(c, keys, mix, g, o.TPDuration/4)
				r, errs := benchmarks.RunByteMix(c, keys, mix, g, o.TPDuration)
				res.Throughput = append(res.Throughput, gcfreeTP{Goroutines: g, Mix: mix.Name, Mops: r.Mops(),
					HitRatio: r.HitRatio(), CPUShare: r.CPUShare, Errors: errs})
			}
		}
		c.Close()
	} else {
		c, fp := benchmarks.MeasureFootprint(im, o.Entries)
		res.Footprint = fp
		fmt.Fprintf(os.Stderr, "  gcfree child %s: filled %d in %v\n", o.Cache, o.Entries, fp.Fill.Round(time.Millisecond))
		res.Load = benchmarks.MeasureGCLoad(c, keys, runtime.GOMAXPROCS(0), o.Duration, o.Rate)
		c.Close()
	}
	res.LoadAvg = loadAvg()
	return json.NewEncoder(os.Stdout).Encode(res)
}
