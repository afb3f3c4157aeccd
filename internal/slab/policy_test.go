package slab

import (
	"fmt"
	"hash/maphash"
	"testing"

	"github.com/stratacache/cache/entry"
)

type testShard struct {
	*Shard
	seed maphash.Seed
	rm   Removals
}

func newTestShard(bytes int) *testShard {
	seed := maphash.MakeSeed()
	return &testShard{Shard: NewShard(bytes, seed), seed: seed}
}

func (s *testShard) set(k string, n int) bool {
	return s.Set(Hash(s.seed, k), k, nil, make([]byte, n), 0, 0, &s.rm)
}

func (s *testShard) get(k string) bool {
	_, ok := s.Get(Hash(s.seed, k), k, 0, nil, &s.rm)
	return ok
}

// A key read while new survives a scan of keys read once, which pass
// through the small ring without displacing it.
func TestReadKeySurvivesScan(t *testing.T) {
	s := newTestShard(16 << 10)
	for i := range 100 {
		s.set(fmt.Sprint("hot", i), 40)
	}
	for i := range 100 {
		s.get(fmt.Sprint("hot", i))
	}
	for i := range 5000 {
		s.set(fmt.Sprint("scan", i), 40)
	}
	for i := range 100 {
		if !s.get(fmt.Sprint("hot", i)) {
			t.Fatalf("hot%d was evicted by a scan of keys read once", i)
		}
	}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
}

// A key dropped by the small ring and set again soon after is remembered
// by the ghost and enters the main ring, where one-time keys do not reach.
func TestGhostSendsReturningKeyToMain(t *testing.T) {
	s := newTestShard(16 << 10)
	fill := func(prefix string, n int) {
		for i := range n {
			s.set(fmt.Sprint(prefix, i), 40)
		}
	}
	fill("a", 1000) // fills main, then the small ring evicts to the ghost
	s.set("back", 40)
	// Push "back" out of the small ring unread, with keys that do not
	// share its ghost slot: the ghost is direct-mapped, and a later
	// eviction into the same slot would (by design) forget it.
	backSlot := s.ghost.slot(Hash(s.seed, "back"))
	for i, n := 0, 0; n < 100; i++ {
		k := fmt.Sprint("b", i)
		if s.ghost.slot(Hash(s.seed, k)) == backSlot {
			continue
		}
		s.set(k, 40)
		n++
	}
	if s.get("back") {
		t.Fatal("test set-up: back is still cached")
	}
	s.set("back", 40)
	s.lock()
	_, loc, _, ok := s.lookupLocked(tagOf(Hash(s.seed, "back")), "back")
	s.unlock()
	if !ok || loc&mainBit == 0 {
		t.Fatalf("a key back from the ghost is not in the main ring (found %v, loc %#x)", ok, loc)
	}
}

func TestOversizedValueIsRefused(t *testing.T) {
	s := newTestShard(MinShardBytes)
	big := s.MaxRecord() - RecordSize(1, 0, false) + 1
	if s.set("k", big) {
		t.Fatalf("a record of %d bytes was stored, max %d", RecordSize(1, big, false), s.MaxRecord())
	}
	if s.rm.Len() != 1 {
		t.Fatalf("%d removals reported, want the refused value", s.rm.Len())
	}
	if _, _, r := s.rm.At(0); r != entry.ReasonCapacity {
		t.Fatalf("refused value reported as %v", r)
	}
	if !s.set("k", big-1) {
		t.Fatal("a record of exactly MaxRecord bytes was refused")
	}
}

// Overwriting with a value of the same length reuses the record, so a
// write-heavy workload over a fixed set of keys leaves no garbage.
func TestSameSizeOverwriteInPlace(t *testing.T) {
	s := newTestShard(64 << 10)
	s.set("k", 10)
	used := s.rings[small].used + s.rings[main].used
	for range 1000 {
		s.set("k", 10)
	}
	if u := s.rings[small].used + s.rings[main].used; u != used {
		t.Fatalf("1000 same-size overwrites moved used bytes from %d to %d", used, u)
	}
	if got := s.counters.Removed[entry.ReasonReplaced]; got != 1000 {
		t.Fatalf("%d replacements counted, want 1000", got)
	}
}

func TestExpiredIsNeverReturned(t *testing.T) {
	s := newTestShard(8 << 10)
	h := Hash(s.seed, "k")
	s.Set(h, "k", nil, []byte("v"), 100, 50, &s.rm)
	if _, ok := s.Get(h, "k", 99, nil, &s.rm); !ok {
		t.Fatal("missed before the deadline")
	}
	if _, ok := s.Get(h, "k", 100, nil, &s.rm); ok {
		t.Fatal("hit at the deadline")
	}
	if s.rm.Len() != 1 {
		t.Fatalf("%d removals, want the expired entry", s.rm.Len())
	}
	if _, _, r := s.rm.At(0); r != entry.ReasonExpired {
		t.Fatalf("removed as %v", r)
	}
	if s.Len() != 0 {
		t.Fatalf("Len %d after the expired entry was read", s.Len())
	}
}

// Damaged slab bytes are never read as a value: a record that no longer
// parses, or whose key no longer matches, is a miss, and a ring whose
// head is garbage is emptied so that the shard goes on.
func TestDamagedRecordsAreMisses(t *testing.T) {
	s := newTestShard(8 << 10)
	for i := range 40 {
		s.set(fmt.Sprint("key", i), 20)
	}
	// Scribble over every byte of every chunk of the main ring.
	for _, c := range s.rings[main].chunks {
		for i := range c {
			c[i] = 0xff
		}
	}
	for i := range 40 {
		k := fmt.Sprint("key", i)
		if v, ok := s.Get(Hash(s.seed, k), k, 0, nil, &s.rm); ok {
			s.lock()
			_, loc, _, _ := s.lookupLocked(tagOf(Hash(s.seed, k)), k)
			s.unlock()
			if loc&mainBit != 0 {
				t.Fatalf("%s read %x from a damaged ring", k, v)
			}
		}
	}
	// Writes go on: the damaged ring is dropped when its head is reached,
	// which promotions of keys read while new make happen.
	for i := range 400 {
		if !s.set(fmt.Sprint("new", i), 20) {
			t.Fatalf("Set failed after damage")
		}
		s.get(fmt.Sprint("new", i))
	}
	if s.counters.Damaged == 0 {
		t.Fatal("no entry counted as lost to damage")
	}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
	if !s.get("new399") {
		t.Fatal("the last write is not readable")
	}
}
