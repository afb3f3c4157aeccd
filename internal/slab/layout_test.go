package slab

import (
	"testing"
	"unsafe"
)

// The write path's hot fields, seq and counters, fit in the struct's
// first cache line, and the struct is whole lines long, so that the
// allocator's size class for it starts every Shard on a line.
func TestShardLayout(t *testing.T) {
	var s Shard
	if end := unsafe.Offsetof(s.counters) + unsafe.Sizeof(s.counters); end > 64 {
		t.Errorf("seq and counters end at byte %d, past the first cache line", end)
	}
	if n := unsafe.Sizeof(s); n%64 != 0 {
		t.Errorf("Shard is %d bytes, not whole cache lines: adjust shardPad", n)
	}
}
