package main

import (
	"bytes"
	"context"
	"runtime"
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
		requests: 1000, workers: 4, keys: 20, zipf: 1.2, users: 2, missing: 0.1,
		latency: time.Millisecond, replicas: 2,
		ttl: 10 * time.Minute, notFoundTTL: 10 * time.Minute, l1TTL: 10 * time.Minute,
		metrics: "127.0.0.1:0", metricsSet: true, progress: 100 * time.Millisecond,
	}
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
	for _, want := range []string{"phase 1/2", "phase 2/2", "p99 latency", "hit ratio", "backend calls saved",
		`strata_cache_hits_total{cache="replica-1"}`} {
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
