package benchmarks

import (
	"sync"
	"sync/atomic"
	"testing"
)

// The micro-benchmarks run every adapter on the same workload as the
// runner's throughput scenario, at a smaller scale so that
// `go test -bench .` finishes quickly: Zipf (s = 1) keys over 2^16
// distinct, a cache holding a quarter of them, prefilled.
const (
	benchDistinct = 1 << 16
	benchSamples  = 1 << 18
)

var benchSink atomic.Uint64

var benchKeys = sync.OnceValue(func() []uint64 {
	return ZipfKeys(benchDistinct, benchSamples, 1.0, 42)
})

func BenchmarkGet(b *testing.B)   { benchMix(b, 0) }
func BenchmarkMixed(b *testing.B) { benchMix(b, 25) }
func BenchmarkSet(b *testing.B)   { benchMix(b, 100) }

// benchMix runs one sub-benchmark per adapter with b.RunParallel; writePct
// of the operations are Set, the rest Get.
func benchMix(b *testing.B, writePct int) {
	keys := benchKeys()
	mask := uint64(len(keys) - 1)
	thr := writeThreshold(writePct)
	for _, im := range Impls() {
		b.Run(im.Name, func(b *testing.B) {
			c := im.U64(Config{Capacity: benchDistinct / 4})
			defer c.Close()
			Prefill(c, benchDistinct/4)
			var offset atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// Each goroutine walks the keys from its own offset.
				pos := offset.Add(benchSamples/8 + 7919)
				var sink uint64
				for pb.Next() {
					k := keys[pos&mask]
					if writeOp(pos, thr) {
						c.Set(k, pos)
					} else if v, ok := c.Get(k); ok {
						sink += v
					}
					pos++
				}
				benchSink.Add(sink)
			})
		})
	}
}
