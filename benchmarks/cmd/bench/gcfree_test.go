package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache/benchmarks"
)

func fakeGCFree(name string, n int, bpe float64, gc time.Duration, read, write float64) gcfreeResult {
	r := gcfreeResult{Cache: name, Entries: n}
	r.Footprint = benchmarks.FootprintResult{Entries: n, Resident: n, BytesPerEntry: bpe, BestGC: gc, GCs: []time.Duration{gc}}
	for _, g := range []int{2, 8} {
		r.Throughput = append(r.Throughput, gcfreeTP{Goroutines: g, Mix: readMix, Mops: read}, gcfreeTP{Goroutines: g, Mix: writeMix, Mops: write})
	}
	return r
}

// The report checks the targets on the figures it is given.
func TestGCFreeTargets(t *testing.T) {
	n := gcTargetAt
	rep := &gcfreeReport{Config: gcfreeConfig{Sizes: []int{n}}, Results: []gcfreeResult{
		fakeGCFree(gcfreeTyped, n, 110, 4*time.Millisecond, 10, 5),
		fakeGCFree(gcfreeBytes, n, 100, 6*time.Millisecond, 20, 3),
		fakeGCFree(rivalFree, n, 150, time.Millisecond, 8, 4),
		fakeGCFree(rivalFast, n, 90, time.Millisecond, 9, 4.5),
	}}
	for _, name := range []string{gcfreeTyped, gcfreeBytes, rivalFree, rivalFast} {
		rep.Impls = append(rep.Impls, implInfo{Name: name})
	}
	var b bytes.Buffer
	rep.write(&b)
	out := b.String()
	for _, want := range []string{
		"| one full GC with 10,000,000 entries live ≤ 5ms | **PASS** | strata-gcfree: 4.0 ms",
		"| strata-gcfree, 10,000,000 entries: bytes per entry ≤ freecache's | **PASS** | 110.0 vs 150.0 (0.73×) |",
		"| strata-gcfree, 10,000,000 entries, 100% read at 2 goroutines: ≥ freecache's and fastcache's | **PASS** |",
		"| strata-gcfree-bytes, 10,000,000 entries, 100% write at 8 goroutines: ≥ freecache's and fastcache's | **FAIL** | 3.00 Mops/s; freecache 4.00 (0.75×), fastcache 4.50 (0.67×) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
