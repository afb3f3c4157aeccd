package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

type machine struct {
	CPU        string
	NumCPU     int
	GOMAXPROCS int
	OS, Arch   string
	Go         string
	Deps       map[string]string
	LoadBefore string
	LoadAfter  string
	// QuietWaited is how long the run waited for other processes to
	// quieten; QuietGaveUp the highest load (in cores) of other processes
	// it measured under once the wait budget was spent, 0 if never.
	QuietWaited time.Duration
	QuietGaveUp float64
	// Nice is the process's scheduling niceness (Linux), Args the flags
	// the runner was started with.
	Nice string
	Args []string
	// Strata is the git revision of the Strata module measured (the
	// parent directory), "+dirty" when its files differed from it.
	Strata string
}

// strataRevision describes the revision of the Strata checkout in the
// parent directory, which go.mod's replace directive builds against.
func strataRevision() string {
	rev, err := exec.Command("git", "-C", "..", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	s := strings.TrimSpace(string(rev))
	dirty, err := exec.Command("git", "-C", "..", "status", "--porcelain", "--untracked-files=no",
		"--", ".", ":(exclude)benchmarks", ":(exclude)docs").Output()
	if err == nil && len(strings.TrimSpace(string(dirty))) > 0 {
		s += "+dirty"
	}
	return s
}

// niceness returns the nice value of this process from /proc/self/stat
// and, where Linux groups processes by session for scheduling, the nice
// value of its autogroup, which is what weighs against other sessions.
func niceness() string {
	n := processNice()
	if b, err := os.ReadFile("/proc/self/autogroup"); err == nil {
		if _, v, ok := strings.Cut(strings.TrimSpace(string(b)), " nice "); ok {
			n += ", autogroup nice " + v
		}
	}
	return n
}

func processNice() string {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return "n/a"
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) > 16 {
			return f[16] // field 19 of the whole line
		}
	}
	return "n/a"
}

type implInfo struct {
	Name  string
	TTL   bool
	Notes string
}

type tpResult struct {
	Goroutines int
	Mix        string
	Cache      string
	Mops       []float64 // every timed run
	Median     float64
	HitRatio   float64 // median over runs
	CPUShare   float64 // median over runs; see benchmarks.Result
}

type memResult struct {
	Cache string
	Str   bool
	TTL   bool
	NA    bool
	Err   string `json:",omitempty"`
	benchmarks.MemResult
}

type allocResult struct {
	Cache string
	benchmarks.AllocResult
}

type gcResult struct {
	Cache string
	Err   string `json:",omitempty"`
	benchmarks.GCResult
}

type latResult struct {
	Cache string
	benchmarks.LatencyResult
}

type report struct {
	Started       time.Time
	Wall          time.Duration
	Phases        map[string]time.Duration
	Machine       machine
	Config        config
	Capacity      int
	Impls         []implInfo
	Throughput    []tpResult
	Memory        []memResult
	Allocs        []allocResult
	GC            []gcResult
	Latency       []latResult
	TimerOverhead time.Duration
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func machineInfo() machine {
	m := machine{
		CPU: cpuModel(), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(),
		Deps: map[string]string{}, LoadBefore: loadAvg(),
		Nice: niceness(), Args: os.Args[1:], Strata: strataRevision(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			m.Deps[d.Path] = d.Version
		}
	}
	return m
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func run(cfg config, impls []benchmarks.Impl) *report {
	rep := &report{
		Started: time.Now(), Phases: map[string]time.Duration{},
		Machine: machineInfo(), Config: cfg,
		Capacity: cfg.Distinct * cfg.CapacityPct / 100,
	}
	for _, im := range impls {
		rep.Impls = append(rep.Impls, implInfo{im.Name, im.TTL, im.Notes})
	}
	q := &quiet{limit: cfg.QuietCores, budget: cfg.QuietBudget}
	phase := func(name string, f func()) {
		if !cfg.Scenarios[name] {
			return
		}
		t0 := time.Now()
		logf("%s: start", name)
		f()
		rep.Phases[name] = time.Since(t0)
		logf("%s: done in %v", name, rep.Phases[name].Round(time.Second))
	}

	var keys []uint64
	if cfg.Scenarios["throughput"] || cfg.Scenarios["latency"] {
		t0 := time.Now()
		keys = benchmarks.ZipfKeys(cfg.Distinct, cfg.Samples, cfg.ZipfS, 1)
		logf("generated %d Zipf(s=%g) samples over %d keys in %v", cfg.Samples, cfg.ZipfS, cfg.Distinct, time.Since(t0).Round(time.Millisecond))
	}

	phase("throughput", func() { rep.Throughput = runThroughput(cfg, impls, keys, rep.Capacity, q) })
	phase("memory", func() { rep.Memory = runMemory(cfg, impls, q) })
	phase("allocs", func() {
		for _, im := range impls {
			r := allocResult{im.Name, benchmarks.MeasureAllocs(im, cfg.AllocRuns)}
			logf("allocs %-10s get %.3f  set-new %.3f  set-existing %.3f", im.Name, r.GetHitMean, r.SetNewMean, r.SetExistingMean)
			rep.Allocs = append(rep.Allocs, r)
			runtime.GC()
		}
	})
	phase("gc", func() {
		for _, im := range impls {
			o := childOptions{Cache: im.Name, Entries: cfg.GCEntries, Duration: cfg.GCDuration, Samples: cfg.Samples, ZipfS: cfg.ZipfS, Rate: cfg.GCAllocMBps * (1 << 20)}
			var r gcResult
			r.Cache = im.Name
			q.wait("gc " + im.Name)
			if err := inChild("gc", o, &r.GCResult); err != nil {
				r.Err = err.Error()
				logf("gc %s: %v", im.Name, err)
			} else {
				logf("gc %-10s %.2f%% CPU, %d cycles, %v per cycle, max pause %v, %.1f Mops/s", im.Name, 100*r.GCFraction, r.Cycles, r.GCPerCycle, r.MaxPause, r.Mops)
			}
			rep.GC = append(rep.GC, r)
		}
	})
	phase("latency", func() {
		rep.TimerOverhead = benchmarks.TimerOverhead()
		mix := benchmarks.Mix{Name: "75/25", WritePct: 25}
		for _, im := range impls {
			q.wait("latency " + im.Name)
			c := im.U64(benchmarks.Config{Capacity: rep.Capacity})
			benchmarks.Prefill(c, rep.Capacity)
			benchmarks.RunMix(c, keys, mix, runtime.GOMAXPROCS(0), cfg.Warmup)
			r := benchmarks.RunLatency(c, keys, mix, runtime.GOMAXPROCS(0), cfg.LatencyDuration)
			c.Close()
			logf("latency %-10s p50 %v p99 %v p99.9 %v", im.Name, r.P50, r.P99, r.P999)
			rep.Latency = append(rep.Latency, latResult{im.Name, r})
			runtime.GC()
		}
	})
	rep.Machine.LoadAfter = loadAvg()
	rep.Machine.QuietWaited, rep.Machine.QuietGaveUp = q.waited, q.worst
	rep.Wall = time.Since(rep.Started)
	return rep
}

// runThroughput measures every mix at every goroutine count. For each
// (goroutines, mix) it builds and prefills every cache, then takes the
// timed runs round-robin over the caches, each run after a short warm-up
// of its own, so that a disturbance on the shared machine spreads over
// all caches instead of spoiling one cache's runs. The rotation start
// changes from run to run.
func runThroughput(cfg config, impls []benchmarks.Impl, keys []uint64, capacity int, q *quiet) []tpResult {
	var out []tpResult
	warm := cfg.Duration / 10
	for _, g := range cfg.Goroutines {
		for _, mix := range benchmarks.Mixes {
			q.wait(fmt.Sprintf("throughput g=%d %s", g, mix.Name))
			caches := make([]benchmarks.Cache[uint64, uint64], len(impls))
			results := make([]tpResult, len(impls))
			hits := make([][]float64, len(impls))
			shares := make([][]float64, len(impls))
			for i, im := range impls {
				caches[i] = im.U64(benchmarks.Config{Capacity: capacity})
				benchmarks.Prefill(caches[i], capacity)
				benchmarks.RunMix(caches[i], keys, mix, g, cfg.Warmup)
				results[i] = tpResult{Goroutines: g, Mix: mix.Name, Cache: im.Name}
			}
			runtime.GC()
			for run := range cfg.Runs {
				for j := range impls {
					i := (j + run) % len(impls)
					benchmarks.RunMix(caches[i], keys, mix, g, warm)
					res := benchmarks.RunMix(caches[i], keys, mix, g, cfg.Duration)
					results[i].Mops = append(results[i].Mops, res.Mops())
					hits[i] = append(hits[i], res.HitRatio())
					shares[i] = append(shares[i], res.CPUShare)
				}
			}
			for i, c := range caches {
				c.Close()
				r := results[i]
				r.Median = median(r.Mops)
				r.HitRatio = median(hits[i])
				r.CPUShare = median(shares[i])
				logf("throughput g=%d %-10s %-10s %7.2f Mops/s  hit %.3f  cpu %.2f", g, mix.Name, r.Cache, r.Median, r.HitRatio, r.CPUShare)
				out = append(out, r)
			}
			clear(caches)
			runtime.GC()
		}
	}
	return out
}

func runMemory(cfg config, impls []benchmarks.Impl, q *quiet) []memResult {
	var out []memResult
	for _, im := range impls {
		for _, str := range []bool{false, true} {
			for _, ttl := range []bool{false, true} {
				r := memResult{Cache: im.Name, Str: str, TTL: ttl}
				if ttl && !im.TTL {
					r.NA = true
					out = append(out, r)
					continue
				}
				o := childOptions{Cache: im.Name, Str: str, Entries: cfg.MemEntries}
				if ttl {
					o.TTL = time.Hour
				}
				q.wait("memory " + im.Name)
				if err := inChild("mem", o, &r.MemResult); err != nil {
					r.Err = err.Error()
					logf("memory %s: %v", im.Name, err)
				} else {
					logf("memory %-10s str=%-5v ttl=%-5v %6.1f B/entry (%d resident)", im.Name, str, ttl, r.BytesPerEntry, r.Resident)
				}
				out = append(out, r)
			}
		}
	}
	return out
}
