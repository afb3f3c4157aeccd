package shard

import (
	"slices"
	"testing"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/eviction"
	"github.com/stratacache/cache/internal/hashing"
)

func hashOf(k int) uint64 { return hashing.Mix(uint64(k) + 1) }

// A TinyLFU shard saves its frequency estimates with AppendState, and a
// new shard given them back through RaiseFrequency before each store
// reports the same estimates.
func TestStateCarriesFrequencies(t *testing.T) {
	clk := &clock{now: 1}
	cfg := Config{Capacity: 100, Policy: eviction.TinyLFU, Clock: clk.read}
	src := New[int, int](cfg)
	for k := range 50 {
		src.Set(k, hashOf(k), k, 1, 0, false)
	}
	for range 6 {
		for k := range 5 {
			src.Get(k, hashOf(k)) // buffered; AppendState applies them first
		}
	}
	saved := src.AppendState(nil)
	if len(saved) != 50 {
		t.Fatalf("saved %d of 50 entries", len(saved))
	}
	freq := map[int]uint8{}
	for i, st := range saved {
		freq[st.Key] = st.Frequency
		if i > 0 && st.Rank < saved[i-1].Rank {
			t.Fatalf("ranks not ascending at %d: %d after %d", i, st.Rank, saved[i-1].Rank)
		}
	}
	for k := range 5 {
		if freq[k] < 7 {
			t.Errorf("key %d, written once and read 6 times, saved with frequency %d", k, freq[k])
		}
	}
	dst := New[int, int](cfg)
	for _, st := range saved {
		dst.RaiseFrequency(hashOf(st.Key), int(st.Frequency)-1)
		dst.Set(st.Key, hashOf(st.Key), st.Value, 1, 0, false)
	}
	for _, st := range dst.AppendState(nil) {
		if st.Frequency != freq[st.Key] {
			t.Errorf("key %d: frequency %d after restoring, saved %d", st.Key, st.Frequency, freq[st.Key])
		}
	}
}

// LRU ranks run from 0 (least recent) towards RankScale, and an
// unbounded shard ranks everything 0.
func TestStateRanks(t *testing.T) {
	s, _ := newShard(10)
	for _, k := range []string{"a", "b", "c", "d"} {
		s.Set(k, 0, 1, 1, 0, false)
	}
	s.Get("a", 0)
	var keys []string
	var ranks []uint32
	for _, st := range s.AppendState(nil) {
		keys = append(keys, st.Key)
		ranks = append(ranks, st.Rank)
	}
	if want := []string{"b", "c", "d", "a"}; !slices.Equal(keys, want) || ranks[0] != 0 || ranks[3] != 3*RankScale/4 {
		t.Fatalf("state %v ranks %v, want %v ranked 0, 1/4, 1/2, 3/4", keys, ranks, want)
	}
	u := New[string, int](Config{Clock: (&clock{now: 1}).read})
	u.Set("x", 0, 1, 1, 0, false)
	if st := u.AppendState(nil); len(st) != 1 || st[0].Rank != 0 {
		t.Fatalf("unbounded shard state %+v", st)
	}
}

// SetCapacity on an unbounded or closed shard does nothing.
func TestSetCapacityNoop(t *testing.T) {
	u := New[string, int](Config{Clock: (&clock{now: 1}).read})
	u.Set("x", 0, 1, 1, 0, false)
	if r := u.SetCapacity(1); r.Len() != 0 || u.Capacity() != 0 {
		t.Fatal("SetCapacity bounded an unbounded shard")
	}
	s, _ := newShard(10)
	s.Close()
	var none entry.List[string, int]
	if r := s.SetCapacity(1); r.Len() != none.Len() || s.Capacity() != 10 {
		t.Fatal("SetCapacity changed a closed shard")
	}
}
