package cache

import (
	"bytes"
	"testing"
)

const benchSnapshotEntries = 1_000_000

func benchSnapshotCache(b *testing.B) *Cache[uint64, uint64] {
	c := snapCache(b, newFakeClock(), Options[uint64, uint64]{})
	for i := range uint64(benchSnapshotEntries) {
		c.Set(i, i*7)
	}
	return c
}

// BenchmarkSaveSnapshot saves 1M uint64→uint64 entries; MB/s is snapshot
// bytes written per second.
func BenchmarkSaveSnapshot(b *testing.B) {
	c := benchSnapshotCache(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		info, err := c.SaveSnapshot(&buf, SnapshotOptions{})
		if err != nil || info.Entries != benchSnapshotEntries {
			b.Fatal(info, err)
		}
		b.SetBytes(info.Bytes)
	}
}

// BenchmarkLoadSnapshot loads 1M uint64→uint64 entries into an empty
// cache; MB/s is snapshot bytes read per second.
func BenchmarkLoadSnapshot(b *testing.B) {
	data := save(b, benchSnapshotCache(b))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		dst, err := New(Options[uint64, uint64]{Clock: newFakeClock()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		info, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{})
		if err != nil || info.Entries != benchSnapshotEntries {
			b.Fatal(info, err)
		}
		b.StopTimer()
		dst.Close()
		b.StartTimer()
	}
}
