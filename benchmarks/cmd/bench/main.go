// Command bench measures Strata side by side with other Go caches and
// writes docs/benchmarks.md with SVG charts in docs/benchmarks/.
//
//	cd benchmarks && go run ./cmd/bench            # full run, under ~10 minutes on 2 cores
//	cd benchmarks && go run ./cmd/bench -quick     # smoke run, under a minute
//	cd benchmarks && go run ./cmd/bench -suite gcfree   # the GC-free tier: docs/gcfree-benchmarks.md
//
// Scenarios: throughput (Zipf keys, five read/write mixes, GOMAXPROCS and
// 8 goroutines), memory per entry, allocations per operation, GC cost with
// a large resident cache, and Get latency under writes. The memory and GC
// scenarios run each cache in a fresh child process (the binary re-executed
// with -child) so that heaps do not interfere.
//
// The gcfree suite compares bytecache with freecache, fastcache, bigcache,
// otter and Strata's object cache at 1 and 10 million entries: memory per
// entry, a full GC with the cache live, GC CPU and Get latency under a
// 90/10 load while the heap churns, and throughput; see gcfree.go.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

type config struct {
	Duration        time.Duration
	Runs            int
	Warmup          time.Duration
	Goroutines      []int
	Distinct        int
	Samples         int
	ZipfS           float64
	CapacityPct     int
	MemEntries      int
	GCEntries       int
	GCDuration      time.Duration
	GCAllocMBps     float64
	LatencyDuration time.Duration
	AllocRuns       int
	Caches          string
	Scenarios       map[string]bool
	Quick           bool
	QuietCores      float64
	QuietBudget     time.Duration
}

func main() {
	var (
		cfg       config
		out       = flag.String("out", "../docs/benchmarks.md", "report to write (-quick defaults to a temporary directory)")
		charts    = flag.String("charts", "", "directory for SVG charts and results.json (default: benchmarks/ beside -out)")
		scenarios = flag.String("scenarios", "throughput,memory,allocs,gc,latency", "comma-separated scenarios to run")
		threads   = flag.String("goroutines", "", "comma-separated goroutine counts for throughput (default: GOMAXPROCS,8)")
		child     = flag.String("child", "", "internal: run one scenario for one cache and print JSON (mem or gc)")
		from      = flag.String("from", "", "measure nothing: rewrite the report and charts from this results.json")
		suite     = flag.String("suite", "main", "main: the comparison of object caches; gcfree: the GC-free tier against pointer-free caches")
		gcSizes   = flag.String("gcfree-sizes", "1000000,10000000", "gcfree suite: comma-separated entry counts")
		gcCaches  = flag.String("gcfree-caches", "", "gcfree suite: comma-separated caches (default all)")
		gcCfg     = gcfreeConfig{Goroutines: []int{2, 8}}
		childOpt  childOptions
	)
	flag.DurationVar(&cfg.Duration, "duration", 800*time.Millisecond, "length of one timed throughput run")
	flag.IntVar(&cfg.Runs, "runs", 5, "timed runs per cache and mix; the median is reported")
	flag.IntVar(&cfg.Distinct, "distinct", 1<<20, "distinct keys of the Zipf distribution")
	flag.IntVar(&cfg.Samples, "samples", 1<<22, "pre-generated key samples (a power of two)")
	flag.Float64Var(&cfg.ZipfS, "zipf", 1.0, "Zipf exponent s")
	flag.IntVar(&cfg.CapacityPct, "capacity", 25, "cache capacity as a percentage of the distinct keys")
	flag.IntVar(&cfg.MemEntries, "mem-entries", 1_000_000, "entries in the memory scenario")
	flag.IntVar(&cfg.GCEntries, "gc-entries", 5_000_000, "resident entries in the GC scenario")
	flag.DurationVar(&cfg.GCDuration, "gc-duration", 3*time.Second, "length of the GC scenario's load")
	flag.Float64Var(&cfg.GCAllocMBps, "gc-alloc-rate", 512, "MiB per second the GC scenario's stand-in application allocates")
	flag.DurationVar(&cfg.LatencyDuration, "latency-duration", 2*time.Second, "length of the latency scenario per cache")
	flag.IntVar(&cfg.AllocRuns, "alloc-runs", 20000, "operations per allocation count")
	flag.StringVar(&cfg.Caches, "caches", "", "comma-separated caches to measure (default: all; otter is needed for ratios)")
	flag.BoolVar(&cfg.Quick, "quick", false, "smoke run: short durations, one run, smaller heaps")
	flag.Float64Var(&cfg.QuietCores, "quiet-cores", 0.5, "before each measurement, wait while other processes use more cores than this (0: never wait)")
	flag.DurationVar(&cfg.QuietBudget, "quiet-budget", time.Minute, "most time to spend waiting for other processes over the whole run")
	flag.DurationVar(&gcCfg.Load, "gcfree-load", 4*time.Second, "gcfree suite: length of the GC load")
	flag.DurationVar(&gcCfg.Throughput, "gcfree-tp", time.Second, "gcfree suite: length of one throughput run")
	flag.IntVar(&gcCfg.Rounds, "gcfree-rounds", 3, "gcfree suite: throughput rounds, caches interleaved; each point is their median")
	flag.Float64Var(&gcCfg.AllocMBps, "gcfree-alloc-rate", 512, "gcfree suite: MiB per second the stand-in application allocates during the load")
	childOpt.register()
	flag.Parse()

	if *child != "" {
		if err := runChild(*child, childOpt); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}

	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *suite == "gcfree" {
		mainGCFree(gcCfg, *gcSizes, *gcCaches, *out, set["out"], cfg)
		return
	}
	if cfg.Quick {
		quick := map[string]func(){
			"duration":         func() { cfg.Duration = 150 * time.Millisecond },
			"runs":             func() { cfg.Runs = 1 },
			"samples":          func() { cfg.Samples = 1 << 21 },
			"mem-entries":      func() { cfg.MemEntries = 100_000 },
			"gc-entries":       func() { cfg.GCEntries = 500_000 },
			"gc-duration":      func() { cfg.GCDuration = 700 * time.Millisecond },
			"latency-duration": func() { cfg.LatencyDuration = 300 * time.Millisecond },
			"alloc-runs":       func() { cfg.AllocRuns = 5000 },
			"quiet-budget":     func() { cfg.QuietBudget = 10 * time.Second },
			"out": func() {
				*out = filepath.Join(os.TempDir(), "strata-bench-quick", "benchmarks.md")
			},
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	cfg.Warmup = cfg.Duration / 4
	cfg.Scenarios = map[string]bool{}
	for _, s := range strings.Split(*scenarios, ",") {
		cfg.Scenarios[strings.TrimSpace(s)] = true
	}
	cfg.Goroutines = []int{runtime.GOMAXPROCS(0), 8}
	if *threads != "" {
		cfg.Goroutines = nil
		for _, s := range strings.Split(*threads, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n <= 0 {
				fatalf("bad -goroutines entry %q", s)
			}
			cfg.Goroutines = append(cfg.Goroutines, n)
		}
	}
	if cfg.Samples&(cfg.Samples-1) != 0 || cfg.Samples <= 0 {
		fatalf("-samples must be a power of two")
	}
	if cfg.Runs < 1 {
		fatalf("-runs must be at least 1")
	}
	if *charts == "" {
		*charts = filepath.Join(filepath.Dir(*out), "benchmarks")
	}
	impls, err := benchmarks.Select(cfg.Caches)
	if err != nil {
		fatalf("%v", err)
	}

	var rep *report
	if *from != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			fatalf("%v", err)
		}
		rep = new(report)
		if err := json.Unmarshal(b, rep); err != nil {
			fatalf("%s: %v", *from, err)
		}
	} else {
		rep = run(cfg, impls)
	}

	if err := os.MkdirAll(*charts, 0o755); err != nil {
		fatalf("%v", err)
	}
	if err := writeReport(rep, *out, *charts); err != nil {
		fatalf("%v", err)
	}
	raw, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(*charts, "results.json"), append(raw, '\n'), 0o644); err != nil {
		fatalf("%v", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s/ in %v\n", *out, *charts, rep.Wall.Round(time.Second))
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// mainGCFree runs the gcfree suite and writes its report (by default
// docs/gcfree-benchmarks.md, with its results.json beside it).
func mainGCFree(cfg gcfreeConfig, sizes, caches, out string, outSet bool, main config) {
	for _, f := range strings.Split(sizes, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
			fatalf("bad -gcfree-sizes entry %q", f)
		}
		cfg.Sizes = append(cfg.Sizes, n)
	}
	var impls []benchmarks.ByteImpl
	for _, im := range benchmarks.ByteImpls() {
		if caches == "" || slices.Contains(strings.Split(caches, ","), im.Name) {
			impls = append(impls, im)
		}
	}
	if len(impls) == 0 {
		fatalf("-gcfree-caches selects no cache")
	}
	if !outSet {
		out = "../docs/gcfree-benchmarks.md"
	}
	q := &quiet{limit: main.QuietCores, budget: main.QuietBudget}
	rep := runGCFree(cfg, impls, q)
	if err := writeGCFreeReport(rep, out); err != nil {
		fatalf("%v", err)
	}
	raw, _ := json.MarshalIndent(rep, "", "  ")
	js := strings.TrimSuffix(out, ".md") + ".json"
	if err := os.WriteFile(js, append(raw, '\n'), 0o644); err != nil {
		fatalf("%v", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s in %v\n", out, js, rep.Wall.Round(time.Second))
}
