package shard

import (
	"math/rand/v2"
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
)

// BenchmarkWriteSections measures, on one goroutine, what a write costs
// in each of the serial sections of a shard: the inputs of the scaling
// model (benchmarks/cmd/scalemodel, docs/write-path.md).
//
//   - set: a whole Set, maintenance included: how long the shard lock was
//     held per write when writes updated the policy under it.
//   - data: the part under the data lock alone (the policy lock is held
//     by the benchmark, so the write only buffers its bookkeeping).
//   - drain: the policy lock's share per write: applying a full batch of
//     buffered writes, evicting and expiring.
//
// Keys are Zipf-distributed over eight times the capacity, so most
// writes insert and evict, the costly case.
func BenchmarkWriteSections(b *testing.B) {
	const capacity = 4096
	const batch = writeBufferSize / 2
	newKeys := func() []uint64 {
		z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, 8*capacity)
		keys := make([]uint64, 1<<16)
		for i := range keys {
			keys[i] = z.Uint64()
		}
		return keys
	}
	newShard := func() *Shard[uint64, uint64] {
		return New[uint64, uint64](Config{Capacity: capacity, Policy: eviction.TinyLFU, Group: eviction.NewGroup(), Clock: func() int64 { return 1 }})
	}
	hash := func(k uint64) uint64 { return k * 0x9E3779B97F4A7C15 }
	var sink entry.List[uint64, uint64]

	b.Run("set", func(b *testing.B) {
		s, keys := newShard(), newKeys()
		i := 0
		for b.Loop() {
			k := keys[i&(len(keys)-1)]
			_, _, sink = s.Set(k, hash(k), k, 1, 0, false)
			i++
		}
	})
	b.Run("data", func(b *testing.B) {
		s, keys := newShard(), newKeys()
		i := 0
		s.policyMu.Lock()
		for b.Loop() {
			k := keys[i&(len(keys)-1)]
			_, _, sink = s.Set(k, hash(k), k, 1, 0, false)
			i++
			if i%batch == 0 {
				b.StopTimer()
				s.drainLocked(&sink)
				b.StartTimer()
			}
		}
		s.policyMu.Unlock()
	})
	b.Run("drain", func(b *testing.B) {
		s, keys := newShard(), newKeys()
		i := 0
		s.policyMu.Lock()
		b.StopTimer()
		for range b.N {
			k := keys[i&(len(keys)-1)]
			_, _, sink = s.Set(k, hash(k), k, 1, 0, false)
			i++
			if i%batch == 0 {
				b.StartTimer()
				s.drainLocked(&sink)
				b.StopTimer()
			}
		}
		s.policyMu.Unlock()
	})
	_ = sink
}
