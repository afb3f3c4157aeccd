package shard

import (
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
//   - data: the part under the data lock alone (the benchmark holds the
//     policy lock, so the write only buffers its bookkeeping).
//   - drain: the policy lock's share per write: applying a batch of
//     buffered writes and the reads, evicting and expiring.
//   - claim (overwrites only): the part an overwrite that takes no lock
//     spends holding its entry's claim, during which other writers of
//     the same key wait.
//
// Each runs twice: "insert" writes a new key every time, so each write
// also evicts one; "overwrite" rewrites keys that are resident, as writes
// of a hot shard mostly do.
func BenchmarkWriteSections(b *testing.B) {
	const capacity = 4096
	const batch = writeBufferSize / 2
	newShard := func() *Shard[uint64, uint64] {
		s := New[uint64, uint64](Config{Capacity: capacity, Policy: eviction.TinyLFU, Group: eviction.NewGroup(), Clock: func() int64 { return 1 }})
		for k := range uint64(capacity) {
			s.Set(k, mixOf(k), k, 1, 0, false)
		}
		return s
	}
	keys := map[string]func(i int) uint64{
		"insert":    func(i int) uint64 { return capacity + uint64(i) },
		"overwrite": func(i int) uint64 { return uint64(i) % (capacity / 4) },
	}
	var sink entry.List[uint64, uint64]
	for _, kind := range []string{"insert", "overwrite"} {
		key := keys[kind]
		b.Run("set/"+kind, func(b *testing.B) {
			s := newShard()
			i := 0
			for b.Loop() {
				k := key(i)
				_, _, sink = s.Set(k, mixOf(k), k, 1, 0, false)
				i++
			}
		})
		b.Run("data/"+kind, func(b *testing.B) {
			s := newShard()
			i := 0
			s.policyMu.Lock()
			for b.Loop() {
				k := key(i)
				_, _, sink = s.Set(k, mixOf(k), k, 1, 0, false)
				i++
				if i%batch == 0 {
					b.StopTimer()
					s.drainLocked(&sink)
					b.StartTimer()
				}
			}
			s.policyMu.Unlock()
		})
		if kind == "overwrite" {
			b.Run("claim/"+kind, func(b *testing.B) {
				s := newShard()
				i := 0
				for b.Loop() {
					k := key(i)
					e := s.table.Get(mixOf(k), k)
					if !s.overwriteClaimed(e, e.Claim(), k, 1, 0) {
						b.Fatal("the overwrite needed the lock")
					}
					i++
				}
			})
		}
		b.Run("drain/"+kind, func(b *testing.B) {
			s := newShard()
			i := 0
			s.policyMu.Lock()
			b.StopTimer()
			for range b.N {
				k := key(i)
				_, _, sink = s.Set(k, mixOf(k), k, 1, 0, false)
				i++
				if i%batch == 0 {
					b.StartTimer()
					s.drainLocked(&sink)
					b.StopTimer()
				}
			}
			s.policyMu.Unlock()
		})
	}
	_ = sink
}

func mixOf(k uint64) uint64 { return k * 0x9E3779B97F4A7C15 }
