package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache/internal/redistest"

	"github.com/redis/go-redis/v9"
)

func init() {
	// go-redis logs every failed dial; the bad -redis address makes some.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// testConfig drives a fixed number of requests, not a duration, so that
// what the test checks does not depend on how fast a busy machine is:
// 20 items, half of the ids missing at most, 2 users and 2 replicas make
// at most 2×2×38 = 152 distinct answers to compute, far fewer than the
// 1,000 requests.
func testConfig() config {
	return config{
		requests: 1000, rounds: 4, workers: 4, keys: 20, zipf: 1.2, users: 2, missing: 0.1,
		latency: time.Millisecond, replicas: 2,
		ttl: 10 * time.Minute, notFoundTTL: 10 * time.Minute, l1TTL: 10 * time.Minute,
		metrics: "127.0.0.1:0", metricsSet: true,
	}
}

// roundLines returns the modes of the round lines of out, in order, as
// "1 without cache", "1 with cache", ...
func roundLines(out string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && f[0] == "round" {
			n, _, _ := strings.Cut(f[1], "/")
			got = append(got, n+" "+f[2]+" "+f[3])
		}
	}
	return got
}

// checkRun checks what holds for every run, however slow the machine.
func checkRun(t *testing.T, cfg config, res result, out string) {
	t.Helper()
	without, with := res.without, res.with
	if without.failed+with.failed != 0 {
		t.Fatalf("calls failed:\n%s", out)
	}
	if without.calls != cfg.requests || with.calls != cfg.requests {
		t.Fatalf("%d and %d requests, want %d per phase:\n%s", without.calls, with.calls, cfg.requests, out)
	}
	if without.backendCalls != without.calls {
		t.Fatalf("without a cache every request reaches the backend: %d requests, %d backend calls", without.calls, without.backendCalls)
	}
	// Each replica computes each distinct answer once: its L1 keeps it
	// for the whole run, and identical misses share one handler run.
	maxAnswers := int64(cfg.replicas * cfg.users * 2 * int(cfg.keys-1))
	if with.backendCalls >= with.calls || with.backendCalls > maxAnswers {
		t.Fatalf("with the cache: %d backend calls for %d requests; want fewer than the requests and at most %d",
			with.backendCalls, with.calls, maxAnswers)
	}
	if l1, store := with.hitRatio(); l1+store <= 0 {
		t.Fatalf("hit ratio %v + %v, want above 0:\n%s", l1, store, out)
	}
	// The modes take turns, each round's second mode opening the next.
	var want []string
	for n := 1; n <= cfg.rounds; n++ {
		a, b := strconv.Itoa(n)+" without cache", strconv.Itoa(n)+" with cache"
		if n%2 == 0 {
			a, b = b, a
		}
		want = append(want, a, b)
	}
	if got := roundLines(out); !slices.Equal(got, want) {
		t.Fatalf("round lines %q, want %q:\n%s", got, want, out)
	}
	if runtime.GOOS != "windows" && (without.cpu <= 0 || with.cpu <= 0) {
		t.Fatalf("CPU time %v without and %v with the cache; want both measured", without.cpu, with.cpu)
	}
	for _, want := range []string{"p99 latency", "CPU per request", "hit ratio", "backend calls saved",
		"machine: ", `strata_cache_hits_total{cache="replica-1"}`,
		`strata_cache_level_loads_total{cache="replica-1",level="origin",result="found"}`} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{`strata_cache_level_hits_total{cache="replica-2",level="l2"}`, "demo_backend_calls_total"} {
		if !strings.Contains(res.scrape, want) {
			t.Fatalf("the /metrics scrape lacks %q:\n%s", want, res.scrape)
		}
	}
	noLeftovers(t)
}

func TestDemoWithAMemoryStore(t *testing.T) {
	cfg := testConfig()
	var out bytes.Buffer
	res, err := run(cfg, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	checkRun(t, cfg, res, out.String())
	if !strings.Contains(out.String(), "MemoryStore") {
		t.Fatalf("the output does not say which store it used:\n%s", out.String())
	}
}

// The -redis flag, against a redis-server the test starts. Without the
// binary the test is skipped, unless CI=true (.ci/run installs it).
func TestDemoWithRedis(t *testing.T) {
	addr := startRedis(t)
	cfg := testConfig()
	cfg.redis = addr
	cfg.requests = 300
	var out bytes.Buffer
	res, err := run(cfg, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	checkRun(t, cfg, res, out.String())
	if !strings.Contains(out.String(), "Redis at "+addr) {
		t.Fatalf("the output does not say it used Redis:\n%s", out.String())
	}
}

func TestDemoNamesTheBadFlag(t *testing.T) {
	for flag, mutate := range map[string]func(*config){
		"-requests": func(c *config) { c.requests = -1 },
		"-workers":  func(c *config) { c.workers = 0 },
		"-zipf":     func(c *config) { c.zipf = 1 },
		"-missing":  func(c *config) { c.missing = 2 },
		"-replicas": func(c *config) { c.replicas = 0 },
		"-l1-ttl":   func(c *config) { c.l1TTL = 0 },
		"-rounds":   func(c *config) { c.rounds = 0 },
		"-redis":    func(c *config) { c.redis = "127.0.0.1:1" }, // nothing listens there
	} {
		cfg := testConfig()
		cfg.requests = 10
		mutate(&cfg)
		var out bytes.Buffer
		if _, err := run(cfg, &out); err == nil || !strings.HasPrefix(err.Error(), flag+" ") {
			t.Errorf("run with a bad %s: %v, want an error starting with the flag", flag, err)
		}
	}
	noLeftovers(t)
}

// On a machine whose load average says other work saturates it, the run
// says so, naming the load average; on a quiet one it does not. The CPU
// time per request reported is the process's, over each mode's rounds.
func TestDemoWarnsOnASaturatedMachine(t *testing.T) {
	for _, tc := range []struct {
		load float64
		warn bool
	}{{8.02, true}, {0.12, false}, {1.99, false}, {2, true}} {
		cfg := testConfig()
		cfg.requests, cfg.rounds = 200, 2
		cfg.cpus = 2
		cfg.loadAvg = func() (float64, bool) { return tc.load, true }
		var cpu time.Duration
		cfg.cpuTime = func() time.Duration { cpu += time.Millisecond; return cpu }
		var out bytes.Buffer
		res, err := run(cfg, &out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		text := out.String()
		load := strconv.FormatFloat(tc.load, 'f', 2, 64)
		if !strings.Contains(text, "load average "+load+" at the start") {
			t.Errorf("load %v: the header does not give the load average:\n%s", tc.load, text)
		}
		warned := strings.Contains(text, "WARNING: the load average was "+load+" on 2 CPUs")
		if warned != tc.warn || res.saturated != tc.warn {
			t.Errorf("load %v on 2 CPUs: warned %v (result %v), want %v:\n%s", tc.load, warned, res.saturated, tc.warn, text)
		}
		// The fake clock advances 1ms per reading, so each round took 1ms
		// of CPU: 2ms for each mode's 200 requests, 10µs a request.
		if res.without.cpu != 2*time.Millisecond || res.with.cpu != 2*time.Millisecond {
			t.Errorf("CPU %v and %v, want 2ms per mode", res.without.cpu, res.with.cpu)
		}
		if !slices.Contains(strings.Split(text, "\n"), fmt.Sprintf("%-18s %16s %30s", "CPU per request", "10µs", "10µs")) {
			t.Errorf("the report does not show 10µs of CPU per request in both modes:\n%s", text)
		}
	}
	noLeftovers(t)
}

func TestSaturatedTakesTheWorstReading(t *testing.T) {
	unknown := loadReading{}
	for _, tc := range []struct {
		readings []loadReading
		worst    string
		sat      bool
	}{
		{nil, "unknown", false},
		{[]loadReading{unknown, unknown}, "unknown", false},
		{[]loadReading{{0.5, true}, unknown}, "0.50", false},
		{[]loadReading{{0.5, true}, {4.25, true}}, "4.25", true},
		{[]loadReading{{9, true}, {1, true}}, "9.00", true},
	} {
		worst, sat := saturated(4, tc.readings...)
		if worst.String() != tc.worst || sat != tc.sat {
			t.Errorf("saturated(4, %v) = %v, %v; want %s, %v", tc.readings, worst, sat, tc.worst, tc.sat)
		}
	}
	if l, ok := loadAverage(); runtime.GOOS == "linux" && (!ok || l < 0) {
		t.Errorf("loadAverage() = %v, %v on Linux; want a reading", l, ok)
	}
}

// The default /metrics address is not a port the Prometheus server or its
// usual companions (push gateway, alert manager) listen on.
func TestDefaultMetricsPortIsNotPrometheus(t *testing.T) {
	_, port, err := net.SplitHostPort(defaultMetrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, taken := range []string{"9090", "9091", "9093", "9094"} {
		if port == taken {
			t.Errorf("the demo serves /metrics on %s, a port of the Prometheus stack", defaultMetrics)
		}
	}
}

// noLeftovers fails the test if servers, connections, caches or the
// metrics endpoint of a finished run left goroutines behind. Some end
// asynchronously once closed (a connection's reader), so it looks again,
// yielding in between, until they are gone or a generous bound passes.
func noLeftovers(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "demo.noLeftovers(") {
				continue // this goroutine
			}
			if strings.Contains(g, "google.golang.org/grpc") || strings.Contains(g, "stratacache") ||
				strings.Contains(g, "net/http.(*Server)") || strings.Contains(g, "go-redis") {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after the run:\n%s", strings.Join(left, "\n\n"))
		}
		runtime.Gosched()
	}
}

// startRedis runs a redis-server without persistence on a free loopback
// port until the test ends, and returns its address.
func startRedis(t *testing.T) string {
	t.Helper()
	return redistest.Start(t).Addr()
}
