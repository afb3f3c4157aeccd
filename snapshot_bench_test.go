package cache

import (
	"bytes"
	"testing"
)

const benchSnapshotEntries = 1_000_000

// snapshotBenchCases are the caches the snapshot benchmarks save and load:
// unbounded (no policy: map order, no frequencies) and bounded by the
// default policy, TinyLFU (policy order and frequency estimates).
var snapshotBenchCases = []struct {
	name string
	opts Options[uint64, uint64]
}{
	{"unbounded", Options[uint64, uint64]{}},
	{"TinyLFU", Options[uint64, uint64]{MaxEntries: benchSnapshotEntries}},
}

func benchSnapshotCache(b *testing.B, opts Options[uint64, uint64]) *Cache[uint64, uint64] {
	c := snapCache(b, newFakeClock(), opts)
	for i := range uint64(benchSnapshotEntries) {
		c.Set(i, i*7)
	}
	for i := uint64(0); i < benchSnapshotEntries; i += 10 {
		c.Get(i) // a tenth read again: varied frequencies and ranks
	}
	return c
}

// BenchmarkSaveSnapshot saves 1M uint64→uint64 entries; MB/s is snapshot
// bytes written per second.
func BenchmarkSaveSnapshot(b *testing.B) {
	for _, bc := range snapshotBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			c := benchSnapshotCache(b, bc.opts)
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				info, err := c.SaveSnapshot(&buf, SnapshotOptions{})
				if err != nil || info.Entries < benchSnapshotEntries*99/100 {
					b.Fatal(info, err)
				}
				b.SetBytes(info.Bytes)
			}
		})
	}
}

// BenchmarkLoadSnapshot loads 1M uint64→uint64 entries into an empty
// cache like the one saved; MB/s is snapshot bytes read per second.
func BenchmarkLoadSnapshot(b *testing.B) {
	for _, bc := range snapshotBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			data := save(b, benchSnapshotCache(b, bc.opts))
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				b.StopTimer()
				opts := bc.opts
				opts.Clock = newFakeClock()
				dst, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				info, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{})
				if err != nil || info.Entries < benchSnapshotEntries*99/100 {
					b.Fatal(info, err)
				}
				b.StopTimer()
				dst.Close()
				b.StartTimer()
			}
		})
	}
}
