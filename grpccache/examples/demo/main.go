// Command demo serves a catalog over gRPC from a deliberately slow backend,
// drives it with skewed (Zipf) traffic from a client load generator, once
// without a cache and once with grpccache's server interceptor in front of
// the handler, and prints what the cache changed: hit ratio, backend calls
// saved, and latency percentiles.
//
//	go run ./examples/demo [-duration 3s] [-workers 16] [-keys 10000] [-latency 2ms]
//
// Everything runs in one process over loopback. The answers are kept in a
// plain Strata cache; a multilevel cache (and with it a -redis flag) and a
// Prometheus /metrics endpoint will join once those packages are released.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// config is the demo's flags.
type config struct {
	duration time.Duration // traffic per phase
	workers  int           // concurrent client goroutines
	keys     uint64        // distinct items
	zipf     float64       // skew of the item popularity
	users    int           // distinct callers (authorization values)
	missing  float64       // share of requests for items that do not exist
	latency  time.Duration // backend time per call
	ttl      time.Duration // lifetime of a cached answer
	progress time.Duration // interval of the progress lines
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "how long to drive traffic in each phase")
	flag.IntVar(&cfg.workers, "workers", 16, "concurrent clients")
	flag.Uint64Var(&cfg.keys, "keys", 10_000, "distinct items")
	flag.Float64Var(&cfg.zipf, "zipf", 1.1, "Zipf skew of item popularity (> 1)")
	flag.IntVar(&cfg.users, "users", 4, "distinct callers; each has its own cached answers")
	flag.Float64Var(&cfg.missing, "missing", 0.01, "share of requests for items that do not exist")
	flag.DurationVar(&cfg.latency, "latency", 2*time.Millisecond, "backend latency per call")
	flag.DurationVar(&cfg.ttl, "ttl", 30*time.Second, "lifetime of a cached answer")
	flag.Parse()
	cfg.progress = 500 * time.Millisecond
	if _, err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run drives both phases, printing progress and the comparison to out.
func run(cfg config, out io.Writer) ([2]phase, error) {
	var phases [2]phase
	if cfg.zipf <= 1 || cfg.keys < 2 || cfg.workers < 1 || cfg.users < 1 || cfg.missing < 0 || cfg.missing > 1 {
		return phases, fmt.Errorf("need -zipf > 1, -keys >= 2, -workers >= 1, -users >= 1 and -missing in [0, 1]")
	}
	fmt.Fprintf(out, "Strata gRPC demo: %d clients, %d users, %d items (Zipf %.2f, %.0f%% missing), backend %v per call, %v per phase\n",
		cfg.workers, cfg.users, cfg.keys, cfg.zipf, cfg.missing*100, cfg.latency, cfg.duration)
	for i, cached := range []bool{false, true} {
		name := "without a cache"
		if cached {
			name = fmt.Sprintf("with grpccache on the server (TTL %v)", cfg.ttl)
		}
		fmt.Fprintf(out, "\nphase %d/2: %s\n", i+1, name)
		p, err := runPhase(cfg, cached, out)
		if err != nil {
			return phases, err
		}
		phases[i] = p
	}
	report(out, phases)
	return phases, nil
}

func report(out io.Writer, ph [2]phase) {
	without, with := ph[0], ph[1]
	fmt.Fprintf(out, "\n%-22s %16s %16s\n", "", "without cache", "with cache")
	row := func(label, a, b string) { fmt.Fprintf(out, "%-22s %16s %16s\n", label, a, b) }
	row("calls", count(without.calls), count(with.calls))
	row("throughput", rate(without), rate(with))
	row("p50 latency", without.percentile(0.50).Round(time.Microsecond).String(), with.percentile(0.50).Round(time.Microsecond).String())
	row("p99 latency", without.percentile(0.99).Round(time.Microsecond).String(), with.percentile(0.99).Round(time.Microsecond).String())
	row("backend calls", count(without.backendCalls), count(with.backendCalls))
	row("not-found answers", count(without.notFound), count(with.notFound))
	row("failed calls", count(without.failed), count(with.failed))
	row("cache hit ratio", "-", fmt.Sprintf("%.1f%%", with.hitRatio*100))
	saved := with.calls - with.backendCalls
	share := 0.0
	if with.calls > 0 {
		share = float64(saved) / float64(with.calls) * 100
	}
	fmt.Fprintf(out, "\nbackend calls saved by the cache: %s of %s calls (%.1f%%)\n", count(saved), count(with.calls), share)
}

func count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func rate(p phase) string {
	if p.elapsed <= 0 {
		return "-"
	}
	return count(int64(float64(p.calls)/p.elapsed.Seconds())) + "/s"
}
