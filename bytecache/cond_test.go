package bytecache

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/internal/fakeclock"
)

func TestStoreGetWithTTL(t *testing.T) {
	clk := fakeclock.New()
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, TTL: time.Minute, Clock: clk})
	s.SetWithTTL("k", []byte("v"), 10*time.Second)
	s.SetWithTTL("forever", nil, cache.NoTTL)
	s.Set("default", []byte("d"))
	clk.Advance(4 * time.Second)
	for _, tc := range []struct {
		key, value string
		left       time.Duration
	}{{"k", "v", 6 * time.Second}, {"forever", "", cache.NoTTL}, {"default", "d", 56 * time.Second}} {
		v, left, ok := s.GetWithTTL(tc.key)
		if !ok || v == nil || string(v) != tc.value || left != tc.left {
			t.Fatalf("GetWithTTL(%q) = %q, %v, %v; want %q with %v left", tc.key, v, left, ok, tc.value, tc.left)
		}
		if len(v) > 0 {
			v[0] = 'X'
		}
	}
	if v, _, _ := s.GetWithTTL("k"); string(v) != "v" {
		t.Fatalf("writing to a value GetWithTTL returned changed the store: %q", v)
	}
	clk.Advance(6 * time.Second)
	if v, left, ok := s.GetWithTTL("k"); ok {
		t.Fatalf("GetWithTTL at the deadline = %q, %v left", v, left)
	}
	if _, _, ok := s.GetWithTTL("absent"); ok {
		t.Fatal("GetWithTTL hit an absent key")
	}
	if st := s.Stats(); st.Hits != 4 || st.Misses != 2 || st.Removed[cache.ReasonExpired] != 1 {
		t.Fatalf("Stats = %+v; GetWithTTL counts as a read", st)
	}
	s.Close()
	if _, _, ok := s.GetWithTTL("forever"); ok {
		t.Fatal("GetWithTTL hit after Close")
	}
}

// On the system clock, in a store whose entries had no deadline until
// now: NoTTL for those, at most its lifetime for the first with one.
func TestStoreGetWithTTLSystemClock(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20})
	s.Set("plain", []byte("p"))
	if _, left, ok := s.GetWithTTL("plain"); !ok || left != cache.NoTTL {
		t.Fatalf("GetWithTTL(plain) = %v, %v; want NoTTL", left, ok)
	}
	s.SetWithTTL("k", []byte("v"), time.Hour)
	if _, left, ok := s.GetWithTTL("k"); !ok || left <= 0 || left > time.Hour {
		t.Fatalf("GetWithTTL(k) = %v left, %v; want at most an hour", left, ok)
	}
}

func TestStoreSetIfAbsent(t *testing.T) {
	clk := fakeclock.New()
	var removed []removal
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, TTL: time.Minute, Clock: clk,
		OnEvict: func(k string, v []byte, r cache.Reason) { removed = append(removed, removal{k, string(v), r}) }})
	if !s.SetIfAbsent("k", []byte("first"), time.Second) {
		t.Fatal("SetIfAbsent refused an absent key")
	}
	if s.SetIfAbsent("k", []byte("second"), time.Second) {
		t.Fatal("SetIfAbsent replaced a live entry")
	}
	if st := s.Stats(); st.Hits != 0 || st.Sets != 1 {
		t.Fatalf("Stats = %+v; a refusal is neither a read nor a write", st)
	}
	if v, left, _ := s.GetWithTTL("k"); string(v) != "first" || left != time.Second {
		t.Fatalf("k holds %q with %v left, want first with 1s", v, left)
	}
	clk.Advance(time.Second)
	if !s.SetIfAbsent("k", []byte("after"), 0) {
		t.Fatal("SetIfAbsent refused a key whose entry had expired")
	}
	if _, left, _ := s.GetWithTTL("k"); left != time.Minute {
		t.Fatalf("ttl 0 gave %v, want the store's minute", left)
	}
	if !s.SetIfAbsent("forever", []byte("f"), cache.NoTTL) {
		t.Fatal("SetIfAbsent refused with NoTTL")
	}
	if _, left, _ := s.GetWithTTL("forever"); left != cache.NoTTL {
		t.Fatalf("NoTTL gave %v left", left)
	}
	if s.SetIfAbsent("neg", []byte("x"), -time.Second) {
		t.Fatal("SetIfAbsent stored with a negative ttl")
	}
	if _, ok := s.Get("neg"); ok {
		t.Fatal("a negative ttl stored the key")
	}
	removed = nil
	if s.SetIfAbsent("big", make([]byte, s.MaxEntrySize()), cache.NoTTL) {
		t.Fatal("SetIfAbsent stored an entry larger than MaxEntrySize")
	}
	if len(removed) != 1 || removed[0].key != "big" || removed[0].reason != cache.ReasonCapacity {
		t.Fatalf("removals %+v; want big reported as evicted for capacity", removed)
	}
	s.Close()
	if s.SetIfAbsent("late", []byte("x"), 0) {
		t.Fatal("SetIfAbsent stored after Close")
	}
}

func TestStoreCompareAndDelete(t *testing.T) {
	clk := fakeclock.New()
	var removed []removal
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, Clock: clk,
		OnEvict: func(k string, v []byte, r cache.Reason) { removed = append(removed, removal{k, string(v), r}) }})
	s.Set("k", []byte("mine"))
	for _, other := range [][]byte{[]byte("min"), []byte("mine!"), []byte("MINE"), nil} {
		if s.CompareAndDelete("k", other) {
			t.Fatalf("CompareAndDelete(k, %q) removed %q", other, "mine")
		}
	}
	if v, ok := s.Get("k"); !ok || string(v) != "mine" || len(removed) != 0 {
		t.Fatalf("after refusals k = %q, %v; removals %+v", v, ok, removed)
	}
	if !s.CompareAndDelete("k", []byte("mine")) {
		t.Fatal("CompareAndDelete refused the matching value")
	}
	if _, ok := s.Get("k"); ok {
		t.Fatal("CompareAndDelete reported a removal but the key is there")
	}
	if want := (removal{"k", "mine", cache.ReasonDeleted}); len(removed) != 1 || removed[0] != want {
		t.Fatalf("removals %+v, want %+v", removed, want)
	}
	if s.CompareAndDelete("k", []byte("mine")) || s.CompareAndDelete("absent", nil) {
		t.Fatal("CompareAndDelete of an absent key reported a removal")
	}
	s.SetWithTTL("brief", []byte("b"), time.Second)
	clk.Advance(time.Second)
	if s.CompareAndDelete("brief", []byte("b")) {
		t.Fatal("CompareAndDelete removed an expired entry as live")
	}
	s.Set("empty", nil)
	if !s.CompareAndDelete("empty", []byte{}) {
		t.Fatal("CompareAndDelete refused an empty value equal to the stored one")
	}
}

// Goroutines race to take a key with SetIfAbsent and to give it back with
// CompareAndDelete: each round exactly one takes it, and only the taker's
// value can give it back.
func TestStoreSetIfAbsentIsAtomic(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, Shards: 1})
	const goroutines, rounds = 8, 200
	for round := range rounds {
		key := fmt.Sprint("k", round%5)
		var (
			wg      sync.WaitGroup
			winners atomic.Int32
			winner  atomic.Int32
			start   = make(chan struct{})
		)
		for g := range goroutines {
			wg.Go(func() {
				<-start
				if s.SetIfAbsent(key, []byte{byte(g)}, cache.NoTTL) {
					winners.Add(1)
					winner.Store(int32(g))
				}
			})
		}
		close(start)
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Fatalf("round %d: %d goroutines took the key, want 1", round, n)
		}
		w := byte(winner.Load())
		if v, _ := s.Get(key); !bytes.Equal(v, []byte{w}) {
			t.Fatalf("round %d: the key holds %v, the winner wrote %v", round, v, w)
		}
		var released atomic.Int32
		start = make(chan struct{})
		for g := range goroutines {
			wg.Go(func() {
				<-start
				if s.CompareAndDelete(key, []byte{byte(g)}) {
					released.Add(1)
					if byte(g) != w {
						t.Errorf("round %d: goroutine %d released the lease of %d", round, g, w)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if n := released.Load(); n != 1 {
			t.Fatalf("round %d: released %d times, want once", round, n)
		}
	}
}
