// Command demo shows what Strata does for a gRPC service. It serves a
// catalog from a deliberately slow backend through several server
// replicas, and drives them with skewed (Zipf) traffic from a client load
// generator in two modes: without a cache, and with grpccache's server
// interceptor keeping answers in a multilevel cache on each replica (a
// local L1 in front of one store that all replicas share). The modes run
// in alternating rounds, so that other work on the machine slows both
// alike. It prints the hit ratio, the backend calls saved, latency
// percentiles and CPU time per request in both modes, and warns when the
// machine's load average says other work saturates it. While it runs it
// serves the caches' Prometheus metrics, and at the end it scrapes them
// once and prints a few lines.
//
//	go run .                       # shared embedded MemoryStore, no server needed
//	go run . -redis localhost:6379 # share Redis instead
//	go run . -requests 20000       # a fixed number of requests per mode
//
// Everything runs in one process over loopback (and Redis, if asked for).
// docs/demo.md describes the flags and shows a run.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"
)

// config is the demo's flags.
type config struct {
	duration    time.Duration // traffic per phase, unless requests is set
	requests    int64         // requests per phase; 0: run for duration
	workers     int           // concurrent client goroutines
	keys        uint64        // distinct items
	zipf        float64       // skew of the item popularity
	users       int           // distinct callers (authorization values)
	missing     float64       // share of requests for items that do not exist
	latency     time.Duration // backend time per call
	replicas    int           // server instances sharing the store
	ttl         time.Duration // lifetime of a cached answer
	notFoundTTL time.Duration // lifetime of a cached NotFound
	l1TTL       time.Duration // lifetime in each replica's L1
	redis       string        // Redis address; "": a shared MemoryStore
	metrics     string        // address of the /metrics endpoint; "": none
	metricsSet  bool          // metrics was given on the command line
	rounds      int           // rounds per mode, the modes taking turns

	// What the demo reads of the machine; tests replace them.
	loadAvg func() (float64, bool) // 1-minute load average, if known
	cpuTime func() time.Duration   // CPU time the process has used
	cpus    int                    // CPUs the load average is shared by
}

// defaultMetrics is where /metrics is served unless -metrics says
// otherwise; when it is taken, the demo picks a free port instead. Port
// 2112 is the one Prometheus's own Go instrumentation guide uses for an
// application; 9090 is Prometheus's.
const defaultMetrics = "127.0.0.1:2112"

func main() {
	cfg := config{loadAvg: loadAverage, cpuTime: processCPU, cpus: runtime.NumCPU()}
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "how long to drive traffic in each mode, over all its rounds")
	flag.Int64Var(&cfg.requests, "requests", 0, "requests per mode; 0 means run each mode for -duration")
	flag.IntVar(&cfg.rounds, "rounds", 6, "rounds per mode; the modes take turns, so that other work on the machine meets both")
	flag.IntVar(&cfg.workers, "workers", 16, "concurrent clients")
	flag.Uint64Var(&cfg.keys, "keys", 10_000, "distinct items")
	flag.Float64Var(&cfg.zipf, "zipf", 1.1, "Zipf skew of item popularity (> 1)")
	flag.IntVar(&cfg.users, "users", 4, "distinct callers; each has its own cached answers")
	flag.Float64Var(&cfg.missing, "missing", 0.01, "share of requests for items that do not exist")
	flag.DurationVar(&cfg.latency, "latency", 2*time.Millisecond, "backend latency per call")
	flag.IntVar(&cfg.replicas, "replicas", 2, "gRPC server replicas; the clients spread their calls over them")
	flag.DurationVar(&cfg.ttl, "ttl", 30*time.Second, "lifetime of a cached answer, in the store and the L1")
	flag.DurationVar(&cfg.notFoundTTL, "notfound-ttl", 5*time.Second, "lifetime of a cached NotFound answer")
	flag.DurationVar(&cfg.l1TTL, "l1-ttl", 2*time.Second, "lifetime of an answer in a replica's L1 (at most the TTLs)")
	flag.StringVar(&cfg.redis, "redis", "", "host:port of a Redis to share answers through, instead of an embedded store")
	flag.StringVar(&cfg.metrics, "metrics", defaultMetrics, "address for Prometheus /metrics (port 0: any free one; empty: none)")
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { cfg.metricsSet = cfg.metricsSet || f.Name == "metrics" })
	if _, err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// check reports the first flag whose value the demo cannot use.
func (cfg *config) check() error {
	bad := func(flag, want string, got any) error {
		return fmt.Errorf("-%s is %v; it must be %s", flag, got, want)
	}
	switch {
	case cfg.requests < 0:
		return bad("requests", "0 (run for -duration) or positive", cfg.requests)
	case cfg.requests == 0 && cfg.duration <= 0:
		return bad("duration", "positive (or set -requests)", cfg.duration)
	case cfg.rounds < 1:
		return bad("rounds", "at least 1", cfg.rounds)
	case cfg.requests > 0 && cfg.requests < int64(cfg.rounds):
		return bad("requests", "at least -rounds", cfg.requests)
	case cfg.workers < 1:
		return bad("workers", "at least 1", cfg.workers)
	case cfg.keys < 2:
		return bad("keys", "at least 2", cfg.keys)
	case !(cfg.zipf > 1):
		return bad("zipf", "above 1", cfg.zipf)
	case cfg.users < 1:
		return bad("users", "at least 1", cfg.users)
	case !(cfg.missing >= 0 && cfg.missing <= 1):
		return bad("missing", "in [0, 1]", cfg.missing)
	case cfg.latency < 0:
		return bad("latency", "0 or positive", cfg.latency)
	case cfg.replicas < 1:
		return bad("replicas", "at least 1", cfg.replicas)
	case cfg.ttl <= 0:
		return bad("ttl", "positive", cfg.ttl)
	case cfg.notFoundTTL <= 0:
		return bad("notfound-ttl", "positive", cfg.notFoundTTL)
	case cfg.l1TTL <= 0:
		return bad("l1-ttl", "positive", cfg.l1TTL)
	}
	return nil
}

// result is what a run measured, for the tests.
type result struct {
	without, with phase
	scrape        string // the /metrics page at the end; "" without -metrics
	saturated     bool   // the run warned that the machine was saturated
}

// run drives both modes in alternating rounds, printing a line per round,
// the comparison, a warning if the machine was saturated, and a few lines
// of the final /metrics scrape to out.
func run(cfg config, out io.Writer) (result, error) {
	var res result
	if err := cfg.check(); err != nil {
		return res, err
	}
	if cfg.loadAvg == nil {
		cfg.loadAvg = loadAverage
	}
	if cfg.cpuTime == nil {
		cfg.cpuTime = processCPU
	}
	if cfg.cpus < 1 {
		cfg.cpus = runtime.NumCPU()
	}
	db := &backend{latency: cfg.latency}
	mx, err := startMetrics(cfg, db)
	if err != nil {
		return res, err
	}
	defer mx.stop()
	st, err := openStore(cfg)
	if err != nil {
		return res, err
	}
	defer st.close()

	traffic := fmt.Sprintf("for %v", cfg.duration)
	if cfg.requests > 0 {
		traffic = count(cfg.requests) + " requests"
	}
	before := cfg.readLoad()
	fmt.Fprintf(out, "Strata gRPC demo: a catalog whose backend takes %v a call, served by %d replicas\n", cfg.latency, cfg.replicas)
	fmt.Fprintf(out, "traffic: %d clients, %d users, %s items (Zipf %.2f, %.0f%% missing), %s per mode\n",
		cfg.workers, cfg.users, count(int64(cfg.keys)), cfg.zipf, cfg.missing*100, traffic)
	fmt.Fprintf(out, "with the cache: grpccache on each replica, answers in a multilevel cache (L1 %v) over %s; TTL %v, NotFound %v\n",
		cfg.l1TTL, st.name, cfg.ttl, cfg.notFoundTTL)
	fmt.Fprintf(out, "machine: %d CPUs, load average %s at the start\n", cfg.cpus, before)
	if mx.url != "" {
		fmt.Fprintf(out, "Prometheus metrics while it runs: %s\n", mx.url)
	}

	plain, err := startReplicas(cfg, db, nil)
	defer closeReplicas(plain)
	if err != nil {
		return res, err
	}
	cached, err := startReplicas(cfg, db, &caching{store: st, reg: mx.reg})
	defer closeReplicas(cached)
	if err != nil {
		return res, err
	}
	without, with := newDriver(cfg, "without cache", plain), newDriver(cfg, "with cache", cached)
	fmt.Fprintf(out, "\n%d rounds per mode, taking turns, so that other work on the machine slows both alike:\n", cfg.rounds)
	for n := range cfg.rounds {
		first, second := without, with
		if n%2 == 1 {
			first, second = with, without
		}
		first.round(n, db, out)
		second.round(n, db, out)
	}
	res.without, res.with = without.finish(), with.finish()
	// Scraped before the replicas close, while the caches hold entries.
	if res.scrape, err = mx.scrape(); err != nil {
		return res, err
	}

	report(out, res.without, res.with)
	if worst, sat := saturated(cfg.cpus, before, cfg.readLoad()); sat {
		res.saturated = true
		warnSaturated(out, worst, cfg.cpus)
	}
	showScrape(out, mx.url, res.scrape)
	return res, nil
}
