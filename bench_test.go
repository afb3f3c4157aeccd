package cache

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks run every goroutine over the same pre-generated Zipf key
// stream (s ≈ 1, so a few keys are very hot), each from its own offset, so
// no timed loop generates random numbers. The cache holds a quarter of the
// distinct keys and is filled before the timer starts.

const (
	benchDistinct = 1 << 20
	benchSamples  = 1 << 22
)

var benchKeys = sync.OnceValue(func() []uint64 {
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, benchDistinct-1)
	keys := make([]uint64, benchSamples)
	for i := range keys {
		keys[i] = z.Uint64()
	}
	return keys
})

func newBenchCache(b *testing.B, ttl time.Duration) *Cache[uint64, uint64] {
	c := Must(New(Options[uint64, uint64]{MaxEntries: benchDistinct / 4, TTL: ttl}))
	b.Cleanup(c.Close)
	for _, k := range benchKeys()[:benchDistinct] {
		c.Set(k, k)
	}
	return c
}

// runMix runs b.N operations in parallel, writePercent of them Sets.
func runMix(b *testing.B, c *Cache[uint64, uint64], writePercent uint64) {
	keys := benchKeys()
	var offset atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := offset.Add(benchSamples / 16)
		for pb.Next() {
			k := keys[i&(benchSamples-1)]
			if k%100 < writePercent {
				c.Set(k, i)
			} else {
				c.Get(k)
			}
			i++
		}
	})
	b.StopTimer()
	reportWaits(b, c)
}

// reportWaits reports the share of writes that waited for a shard's
// policy lock because its write buffer was full or its slack used up: the
// only time a writer waits for policy work.
func reportWaits(b *testing.B, c *Cache[uint64, uint64]) {
	var sets, waited uint64
	for _, s := range c.c.shards {
		n := s.Counters()
		sets += n.Sets
		waited += n.WaitedWrites
	}
	if sets > 0 {
		b.ReportMetric(100*float64(waited)/float64(sets), "%writes-waited")
	}
}

func BenchmarkGet(b *testing.B) {
	for _, ttl := range []time.Duration{0, time.Hour} {
		b.Run("ttl="+ttl.String(), func(b *testing.B) {
			runMix(b, newBenchCache(b, ttl), 0)
		})
	}
}

// BenchmarkGetHit reads one resident key over and over: the pure hit
// path, which must not allocate.
func BenchmarkGetHit(b *testing.B) {
	c := newBenchCache(b, 0)
	k := benchKeys()[0]
	c.Set(k, k)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Get(k); !ok {
				b.Error("miss on a resident key")
				return
			}
		}
	})
}

func BenchmarkGetStringKey(b *testing.B) {
	c := Must(New(Options[string, int]{MaxEntries: 1 << 16}))
	b.Cleanup(c.Close)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "user:" + strconv.Itoa(i)
		c.Set(keys[i], i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Get(keys[i&(1<<16-1)])
			i++
		}
	})
}

func BenchmarkSet(b *testing.B) {
	runMix(b, newBenchCache(b, 0), 100)
}

// BenchmarkSetExisting overwrites resident keys: no entry is created. The
// bound is twice the key count so no shard overflows and evicts.
func BenchmarkSetExisting(b *testing.B) {
	c := Must(New(Options[uint64, uint64]{MaxEntries: 1 << 13}))
	b.Cleanup(c.Close)
	for k := range uint64(1 << 12) {
		c.Set(k, k)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var i uint64
		for pb.Next() {
			c.Set(i&(1<<12-1), i)
			i++
		}
	})
}

func BenchmarkMixed(b *testing.B) {
	for _, w := range []uint64{10, 25, 50} {
		b.Run("writes="+strconv.FormatUint(w, 10)+"%", func(b *testing.B) {
			runMix(b, newBenchCache(b, 0), w)
		})
	}
}
