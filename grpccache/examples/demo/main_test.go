package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A short run of the demo: it must finish, fail no call, and show the
// cache answering most calls.
func TestDemoShortRun(t *testing.T) {
	cfg := config{
		duration: 300 * time.Millisecond, workers: 4, keys: 50, zipf: 1.2,
		users: 2, missing: 0.05, latency: time.Millisecond, ttl: time.Minute,
		progress: 100 * time.Millisecond,
	}
	var out bytes.Buffer
	phases, err := run(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	without, with := phases[0], phases[1]
	// Each user's answer to each item (or missing item) is computed once.
	if without.failed+with.failed != 0 {
		t.Fatalf("calls failed:\n%s", out.String())
	}
	if without.backendCalls != without.calls {
		t.Fatalf("without a cache every call reaches the backend: %d calls, %d backend calls", without.calls, without.backendCalls)
	}
	if with.calls == 0 || with.backendCalls > int64(2*cfg.keys*uint64(cfg.users)) || with.hitRatio < 0.5 {
		t.Fatalf("the cache saved too little: %d calls, %d backend calls, hit ratio %.2f", with.calls, with.backendCalls, with.hitRatio)
	}
	for _, want := range []string{"phase 1/2", "phase 2/2", "p99 latency", "cache hit ratio", "backend calls saved"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}
