package bytecache

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/internal/fakeclock"
)

func newStore(t *testing.T, opts StoreOptions) *Store {
	t.Helper()
	s, err := NewStore(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestStoreOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		opts  StoreOptions
		field string
	}{
		{StoreOptions{MaxBytes: -1}, "MaxBytes"},
		{StoreOptions{Shards: 3}, "Shards"},
		{StoreOptions{Shards: -2}, "Shards"},
		{StoreOptions{MaxBytes: 1024, Shards: 8}, "MaxBytes"},
		{StoreOptions{MaxBytes: 1 << 40, Shards: 1}, "MaxBytes"},
		{StoreOptions{TTL: -time.Second}, "TTL"},
	} {
		_, err := NewStore(tc.opts)
		if err == nil || !errors.Is(err, cache.ErrInvalidOptions) || !strings.HasPrefix(err.Error(), "bytecache: "+tc.field) {
			t.Errorf("NewStore(%+v) = %v, want an error about %s wrapping ErrInvalidOptions", tc.opts, err, tc.field)
		}
	}
}

func TestAutoShards(t *testing.T) {
	for _, tc := range []struct {
		bytes int64
		want  int
	}{{0, 64}, {100 << 10, 1}, {3 << 20, 2}, {1 << 30, 256}, {1 << 34, 256}} {
		s := newStore(t, StoreOptions{MaxBytes: tc.bytes})
		if len(s.shards) != tc.want {
			t.Errorf("MaxBytes %d: %d shards, want %d", tc.bytes, len(s.shards), tc.want)
		}
	}
}

func TestStoreGetSetDelete(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20})
	if _, ok := s.Get("a"); ok {
		t.Fatal("hit on an empty store")
	}
	s.Set("a", []byte("1"))
	s.Set("empty", nil)
	if v, ok := s.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	if v, ok := s.Get("empty"); !ok || v == nil || len(v) != 0 {
		t.Fatalf("Get(empty) = %#v, %v; want a non-nil empty value", v, ok)
	}
	if !s.Delete("a") || s.Delete("a") {
		t.Fatal("Delete did not report the live entry exactly once")
	}
	if _, ok := s.Get("a"); ok {
		t.Fatal("hit after Delete")
	}
	st := s.Stats()
	if st.Hits != 2 || st.Misses != 2 || st.Sets != 2 || st.Entries != 1 || st.Removed[cache.ReasonDeleted] != 1 ||
		st.Weight != int64(EntrySize(len("empty"), 0, false)) {
		t.Fatalf("Stats = %+v", st)
	}
}

// Large values cycle through a shard whose ring's last chunk is shorter
// than they are: a 16 MiB shard's main ring is 14 chunks of 1 MiB and one
// of 410 KiB, and values of 500 KiB must skip that one. (Set panicked,
// writing past the last chunk's end.)
func TestLargeValuesSkipAShortLastChunk(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 16 << 20, Shards: 1})
	v := make([]byte, 500<<10)
	for i := range 100 {
		v[0] = byte(i)
		k := fmt.Sprint("k", i)
		if !s.Set(k, v) {
			t.Fatalf("Set(%s) refused a value under MaxEntrySize %d", k, s.MaxEntrySize())
		}
		if got, ok := s.Get(k); !ok || !bytes.Equal(got, v) {
			t.Fatalf("Get(%s) did not return the value just set", k)
		}
	}
}

// What Get returns is the caller's: writing to it, or overwriting and
// evicting the key, changes nothing the other side sees.
func TestValuesAreNeverAliases(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 64 << 10})
	s.Set("k", []byte("first"))
	v, _ := s.Get("k")
	v[0] = 'X'
	if again, _ := s.Get("k"); string(again) != "first" {
		t.Fatalf("writing to a returned value changed the store: %q", again)
	}
	in := []byte("input")
	s.Set("in", in)
	in[0] = 'X'
	if got, _ := s.Get("in"); string(got) != "input" {
		t.Fatalf("the caller's slice is aliased by the store: %q", got)
	}
	held, _ := s.Get("k")
	s.Set("k", []byte("other"))
	for i := range 10000 {
		s.Set(fmt.Sprint("fill", i), []byte("0123456789"))
	}
	if string(held) != "first" {
		t.Fatalf("a held value changed to %q after overwrites and evictions", held)
	}
	buf := make([]byte, 0, 64)
	got, ok := s.AppendGet(buf[:0], "k")
	if !ok || string(got) != "other" || &got[0] != &buf[:1][0] {
		t.Fatalf("AppendGet = %q, %v; want it appended to the given buffer", got, ok)
	}
}

func TestAppendGetDoesNotAllocate(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20})
	s.Set("key", make([]byte, 100))
	buf := make([]byte, 0, 128)
	if n := testing.AllocsPerRun(100, func() { buf, _ = s.AppendGet(buf[:0], "key") }); n != 0 {
		t.Fatalf("AppendGet allocates %v times per call", n)
	}
	v := make([]byte, 100)
	if n := testing.AllocsPerRun(100, func() { s.Set("key", v) }); n != 0 {
		t.Fatalf("Set allocates %v times per call", n)
	}
}

func TestStoreExpiry(t *testing.T) {
	clk := fakeclock.New()
	var reasons []cache.Reason
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, TTL: time.Minute, Clock: clk,
		OnEvict: func(_ string, _ []byte, r cache.Reason) { reasons = append(reasons, r) }})
	s.Set("default", []byte("d"))
	s.SetWithTTL("short", []byte("s"), time.Second)
	s.SetWithTTL("forever", []byte("f"), cache.NoTTL)
	clk.Advance(time.Second)
	if _, ok := s.Get("short"); ok {
		t.Fatal("hit at the deadline of a 1s entry")
	}
	if _, ok := s.Get("default"); !ok {
		t.Fatal("the default-TTL entry expired after 1s")
	}
	clk.Advance(time.Hour)
	if _, ok := s.Get("default"); ok {
		t.Fatal("hit on the default-TTL entry an hour later")
	}
	if _, ok := s.Get("forever"); !ok {
		t.Fatal("the NoTTL entry expired")
	}
	s.SetWithTTL("forever", []byte("x"), -1)
	if _, ok := s.Get("forever"); ok {
		t.Fatal("a negative TTL did not delete the key")
	}
	want := []cache.Reason{cache.ReasonExpired, cache.ReasonExpired, cache.ReasonDeleted}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Fatalf("OnEvict reasons %v, want %v", reasons, want)
	}
}

type removal struct {
	key, value string
	reason     cache.Reason
}

func TestStoreOnEvict(t *testing.T) {
	var got []removal
	var s *Store
	s = newStore(t, StoreOptions{MaxBytes: 16 << 10, OnEvict: func(k string, v []byte, r cache.Reason) {
		got = append(got, removal{k, string(v), r})
		s.Len() // calling back into the store must not deadlock
	}})
	s.Set("a", []byte("1"))
	s.Set("a", []byte("22")) // a different size: not in place
	s.Set("a", []byte("33")) // same size: in place
	s.Delete("a")
	want := []removal{{"a", "1", cache.ReasonReplaced}, {"a", "22", cache.ReasonReplaced}, {"a", "33", cache.ReasonDeleted}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("removals %v, want %v", got, want)
	}
	got = nil
	if s.Set("big", make([]byte, s.MaxEntrySize())) {
		t.Fatal("an entry over MaxEntrySize was stored")
	}
	if len(got) != 1 || got[0].reason != cache.ReasonCapacity || got[0].key != "big" {
		t.Fatalf("an oversized entry was reported as %v", got)
	}
	got = nil
	for i := range 1000 {
		s.Set(fmt.Sprint(i), []byte("0123456789"))
	}
	if evicted := len(got); evicted == 0 || uint64(evicted) != s.Stats().Removed[cache.ReasonCapacity]-1 {
		t.Fatalf("%d evictions reported, stats count %d", evicted, s.Stats().Removed[cache.ReasonCapacity]-1)
	}
	n := s.Len()
	got = nil
	s.Clear()
	if len(got) != n || s.Len() != 0 {
		t.Fatalf("Clear reported %d of %d entries, left %d", len(got), n, s.Len())
	}
	for _, r := range got {
		if r.reason != cache.ReasonCleared {
			t.Fatalf("Clear reported %v", r)
		}
	}
}

// A panicking OnEvict does not stop the other removals of the operation
// from being reported; the panic reaches the caller afterwards.
func TestStoreOnEvictPanic(t *testing.T) {
	calls := 0
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, OnEvict: func(string, []byte, cache.Reason) {
		calls++
		panic("boom")
	}})
	for i := range 5 {
		s.Set(fmt.Sprint(i), []byte("v"))
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the hook's panic", r)
			}
		}()
		s.Clear()
	}()
	if calls != 5 {
		t.Fatalf("OnEvict called %d times for 5 cleared entries", calls)
	}
}

func TestStoreClose(t *testing.T) {
	n := 0
	s := newStore(t, StoreOptions{MaxBytes: 1 << 20, OnEvict: func(_ string, _ []byte, r cache.Reason) {
		if r == cache.ReasonCleared {
			n++
		}
	}})
	s.Set("a", []byte("1"))
	s.Close()
	s.Close()
	if n != 1 {
		t.Fatalf("Close reported %d entries cleared, want 1", n)
	}
	if s.Set("a", []byte("1")) {
		t.Fatal("Set stored after Close")
	}
	if _, ok := s.Get("a"); ok {
		t.Fatal("Get hit after Close")
	}
}

// The invariant the package exists for: entries are not heap objects.
// Filling a store with 100,000 entries adds a bounded number of objects
// (chunks, index and ghost tables), nowhere near one per entry.
func TestEntriesAreNotHeapObjects(t *testing.T) {
	objects := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapObjects
	}
	s := newStore(t, StoreOptions{MaxBytes: 32 << 20, Shards: 16})
	before := objects()
	key := []byte("key-0000000")
	value := make([]byte, 64)
	for i := range 100_000 {
		copy(key[4:], fmt.Sprintf("%07d", i))
		s.Set(string(key), value)
	}
	after := objects()
	if s.Len() != 100_000 {
		t.Fatalf("test set-up: %d entries resident", s.Len())
	}
	// 16 shards × (about 20 chunks + index and ghost tables); the keys
	// built above are garbage by now.
	if grew := int64(after) - int64(before); grew > 2000 {
		t.Fatalf("100,000 entries added %d heap objects", grew)
	}
	runtime.KeepAlive(s)
}

func TestStoreConcurrentReadsSeeWholeValues(t *testing.T) {
	s := newStore(t, StoreOptions{MaxBytes: 64 << 10, Shards: 4})
	stressStore(t, s, 4, 20000)
	if int64(s.Stats().Weight) > 64<<10 {
		t.Fatalf("the store holds %d bytes, bound 64 KiB", s.Stats().Weight)
	}
}

// stressStore runs writers, deleters and readers on s; readers check
// that every value is whole and their key's.
func stressStore(t *testing.T, s *Store, goroutines, ops int) {
	t.Helper()
	errs := make(chan error, goroutines)
	done := make(chan struct{})
	for g := range goroutines {
		go func() {
			defer func() { done <- struct{}{} }()
			var buf []byte
			for i := range ops {
				k := fmt.Sprintf("key-%d", (i*7+g*13)%500)
				switch i % 8 {
				case 0, 1:
					s.Set(k, selfValue(k, uint64(i)))
				case 2:
					s.Delete(k)
				default:
					var ok bool
					if buf, ok = s.AppendGet(buf[:0], k); ok {
						if err := checkSelfValue(k, buf); err != nil {
							errs <- err
							return
						}
					}
				}
			}
		}()
	}
	for range goroutines {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func selfValue(key string, version uint64) []byte {
	n := int(version % 40)
	v := []byte(fmt.Sprintf("%s|%d|", key, n))
	v = append(v, bytes.Repeat([]byte{byte(n)}, n)...)
	return append(v, '|', byte(len(v)))
}

func checkSelfValue(key string, v []byte) error {
	parts := bytes.SplitN(v, []byte("|"), 3)
	if len(v) < 2 || int(v[len(v)-1]) != len(v)-2 || len(parts) != 3 || string(parts[0]) != key {
		return fmt.Errorf("value %q is not a whole value of %q", v, key)
	}
	var n int
	if _, err := fmt.Sscan(string(parts[1]), &n); err != nil || len(parts[2]) != n+2 ||
		!bytes.Equal(parts[2][:n], bytes.Repeat([]byte{byte(n)}, n)) {
		return fmt.Errorf("value %q is not a whole value of %q", v, key)
	}
	return nil
}
