package table

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stratacache/cache/entry"
)

// hashOf gives keys deliberately poor hashes (many share a group and a
// tag) so probing past full groups, tombstones and false tag matches is
// exercised.
func hashOf(k int) uint64 { return uint64(k%97)<<7 | uint64(k%5) }

func TestTableMatchesMap(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var tb Table[int, int]
		ref := map[int]*entry.Entry[int, int]{}
		for op := range 5000 {
			k := rng.IntN(300)
			h := hashOf(k)
			switch e := ref[k]; {
			case e == nil && rng.IntN(3) > 0:
				e = entry.New(k, op, h, 1)
				tb.Insert(e)
				ref[k] = e
			case e != nil && rng.IntN(2) == 0:
				tb.Delete(e)
				delete(ref, k)
			}
			if op%50 == 0 && rng.IntN(20) == 0 {
				tb.Clear()
				clear(ref)
			}
			for _, q := range []int{k, rng.IntN(300)} {
				if got, want := tb.Get(hashOf(q), q), ref[q]; got != want {
					t.Fatalf("seed %d op %d: Get(%d) = %p, want %p", seed, op, q, got, want)
				}
			}
			if tb.Len() != len(ref) {
				t.Fatalf("seed %d op %d: Len = %d, want %d", seed, op, tb.Len(), len(ref))
			}
		}
		n := 0
		tb.Range(func(e *entry.Entry[int, int]) bool {
			if ref[e.Key()] != e {
				t.Fatalf("Range yielded %d, not stored", e.Key())
			}
			n++
			return true
		})
		if n != len(ref) {
			t.Fatalf("Range yielded %d entries, want %d", n, len(ref))
		}
	}
}

func TestTableStaysSmallUnderChurn(t *testing.T) {
	var tb Table[int, int]
	live := make([]*entry.Entry[int, int], 0, 100)
	for k := range 100_000 {
		e := entry.New(k, k, uint64(k)*0x9E3779B97F4A7C15, 1)
		tb.Insert(e)
		live = append(live, e)
		if len(live) == cap(live) {
			tb.Delete(live[0])
			live = append(live[:0], live[1:]...)
		}
	}
	// 99 entries need 32 slots at most at 7/16 load after a rebuild,
	// twice that before the next: deleted slots must not pile up.
	if s := tb.Slots(); s > 512 {
		t.Fatalf("table of %d entries has %d slots after churn", tb.Len(), s)
	}
}

// TestTableConcurrentReaders checks the lock-free contract: while one
// writer inserts, deletes and so rebuilds, readers always find the keys
// that are never deleted, and never find a key that was never inserted.
func TestTableConcurrentReaders(t *testing.T) {
	var tb Table[int, int]
	const stable = 64
	for k := range stable {
		tb.Insert(entry.New(k, k, hashOf(k), 1))
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := (i + r) % stable
				if e := tb.Get(hashOf(k), k); e == nil || e.Key() != k {
					t.Errorf("stable key %d not found", k)
					return
				}
				if e := tb.Get(hashOf(-1-k), -1-k); e != nil {
					t.Errorf("found %d, never inserted", -1-k)
					return
				}
			}
		}()
	}
	var churn []*entry.Entry[int, int]
	for i := range 20_000 {
		k := stable + i
		e := entry.New(k, k, hashOf(k), 1)
		tb.Insert(e)
		churn = append(churn, e)
		if len(churn) > 200 {
			tb.Delete(churn[0])
			churn = churn[1:]
		}
	}
	stop.Store(true)
	wg.Wait()
}

func BenchmarkTableGet(b *testing.B) {
	var tb Table[uint64, uint64]
	const n = 1 << 14
	for k := range uint64(n) {
		tb.Insert(entry.New(k, k, k*0x9E3779B97F4A7C15, 1))
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := uint64(0)
		for pb.Next() {
			k = (k + 1) & (n - 1)
			if tb.Get(k*0x9E3779B97F4A7C15, k) == nil {
				b.Fatal("miss")
			}
		}
	})
}

// With a limit, a full table stops at the size that holds the limit at
// 3/4 load instead of doubling past it, and stays there under churn.
func TestTableLimitCapsGrowth(t *testing.T) {
	var tb Table[int, int]
	const limit = 15625
	tb.SetLimit(limit)
	var live []*entry.Entry[int, int]
	for k := range 10 * limit {
		e := entry.New(k, k, uint64(k)*0x9E3779B97F4A7C15, 1)
		tb.Insert(e)
		live = append(live, e)
		if len(live) > limit {
			tb.Delete(live[0])
			live = live[1:]
		}
		if k%997 == 0 {
			if got := tb.Get(live[0].Hash(), live[0].Key()); got != live[0] {
				t.Fatalf("after %d inserts the oldest live entry is not found", k)
			}
		}
	}
	want := (limit*4/3 + groupSize - 1) / groupSize * groupSize
	if got := tb.Slots(); got != want {
		t.Fatalf("%d slots for %d entries at the limit, want %d (3/4 load)", got, tb.Len(), want)
	}
}

// TestGroupIsOneCacheLine: a group must fill exactly one 64-byte line, or
// a probe's tag word and slot may sit on two lines (the reason groups hold
// seven slots, not eight). Arrays larger than 32 KiB (a shard of a few
// thousand entries and up) get whole pages, so their groups also start on
// line boundaries; smaller ones that hold pointers start 8 bytes after a
// line (the runtime's allocation header), which leaves only slot 6 of a
// group across two lines.
func TestGroupIsOneCacheLine(t *testing.T) {
	if size := unsafe.Sizeof(group[string, []byte]{}); size != 64 {
		t.Fatalf("group is %d bytes, want 64", size)
	}
	for _, n := range []int{513, 781, 1000, 4681} {
		a := newArray[int, int](n)
		if addr := uintptr(unsafe.Pointer(&a.groups[0])); addr%64 != 0 {
			t.Errorf("array of %d groups starts at %#x, not on a 64-byte boundary", n, addr)
		}
	}
}
