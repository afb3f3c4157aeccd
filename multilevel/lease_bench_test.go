package multilevel

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

// stampedeRound has callers goroutines per instance read key at the same
// moment, and returns the sum and the maximum of their latencies.
func stampedeRound(b *testing.B, cs []*Cache[string, string], callers int, key string) (sum, worst time.Duration) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for _, c := range cs {
		for range callers {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				v, err := c.Get(context.Background(), key)
				d := time.Since(t0)
				if err != nil || v != "v:"+key {
					b.Errorf("Get(%q) = %q, %v", key, v, err)
				}
				mu.Lock()
				sum += d
				worst = max(worst, d)
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	return sum, worst
}

// Eight instances (each a Cache with its own L1) over one MemoryStore, a
// hundred concurrent misses per instance on the same fresh key each round,
// an origin that answers in 5ms: the origin loads per key with and without
// Options.Lease, and the latency of the reads.
func BenchmarkLeaseStampede(b *testing.B) {
	const instances, callers, latency = 8, 100, 5 * time.Millisecond
	for _, on := range []bool{false, true} {
		b.Run("lease="+strconv.FormatBool(on), func(b *testing.B) {
			ms := newMemory(b, nil)
			org := newOrigin(latency)
			cs := make([]*Cache[string, string], instances)
			for i := range cs {
				cs[i] = mustNew(b, Options[string, string]{Store: ms, Namespace: "ns", Load: org.load,
					Lease: LeaseOptions{Enabled: on}})
			}
			var (
				rounds      int
				sum, worst  time.Duration
				loads, gets int
			)
			for b.Loop() {
				key := strconv.Itoa(rounds)
				s, w := stampedeRound(b, cs, callers, key)
				sum, worst = sum+s, max(worst, w)
				loads += org.loads(key)
				gets += instances * callers
				rounds++
			}
			b.ReportMetric(float64(loads)/float64(rounds), "loads/key")
			b.ReportMetric(float64(sum.Microseconds())/float64(gets)/1000, "ms/get")
			b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms/get")
		})
	}
}

// One instance missing on fresh keys, alone, with an instant origin: what
// the lease adds to an uncontended miss on the embedded store.
func BenchmarkLeaseMiss(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run("lease="+strconv.FormatBool(on), func(b *testing.B) {
			c := mustNew(b, Options[int64, profile]{Load: loadProfile, Lease: LeaseOptions{Enabled: on}})
			ctx := context.Background()
			b.ReportAllocs()
			var i int64
			for b.Loop() {
				if _, err := c.Get(ctx, i); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
