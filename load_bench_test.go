package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backendLatency stands for the round trip to the store behind the cache.
// It is simulated latency, not synchronisation: the benchmark counts what
// reaches the backend while calls are slow enough to overlap.
const backendLatency = 100 * time.Microsecond

// BenchmarkMissStorm fires 1,000 concurrent requests at one missing key per
// iteration and reports how many reach the backend per 1,000 requests.
// GetOrLoad coalesces them into one call; GetThenSet, the pattern of
// checking the cache and filling it by hand, is the baseline.
func BenchmarkMissStorm(b *testing.B) {
	const storm = 1000
	run := func(b *testing.B, request func(c *Cache[int, int], key int, backend func(int) int)) {
		c := Must(New(Options[int, int]{}))
		defer c.Close()
		var calls atomic.Int64
		backend := func(k int) int {
			calls.Add(1)
			time.Sleep(backendLatency)
			return k
		}
		for key := 0; b.Loop(); key++ {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range storm {
				wg.Go(func() {
					<-start
					request(c, key, backend)
				})
			}
			close(start)
			wg.Wait()
		}
		b.ReportMetric(float64(calls.Load())/float64(b.N), "backend-calls/1000req")
	}
	b.Run("GetOrLoad", func(b *testing.B) {
		run(b, func(c *Cache[int, int], key int, backend func(int) int) {
			_, _ = c.GetOrLoad(context.Background(), key, LoaderFunc[int, int](func(_ context.Context, k int) (int, error) {
				return backend(k), nil
			}))
		})
	})
	b.Run("GetThenSet", func(b *testing.B) {
		run(b, func(c *Cache[int, int], key int, backend func(int) int) {
			if _, ok := c.Get(key); !ok {
				c.Set(key, backend(key))
			}
		})
	})
}

// BenchmarkGetOrLoadHit is the cost of a GetOrLoad that hits, next to Get.
func BenchmarkGetOrLoadHit(b *testing.B) {
	c := Must(New(Options[int, int]{Load: func(_ context.Context, k int) (int, error) { return k, nil }}))
	defer c.Close()
	for k := range 1024 {
		c.Set(k, k)
	}
	ctx := context.Background()
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			c.Get(i & 1023)
		}
	})
	b.Run("GetOrLoad", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = c.GetOrLoad(ctx, i&1023, nil)
		}
	})
}
