package multilevel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache"
)

func TestGCFreeStoreIsBoundedByBytes(t *testing.T) {
	s, err := NewGCFreeStore(GCFreeStoreOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	value := bytes.Repeat([]byte("x"), 1000)
	for i := range 5000 {
		if err := s.Set(ctx, fmt.Sprint("key-", i), value, 0); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Weight > 1<<20 || st.Entries < 800 {
		t.Fatalf("%d entries of ~1 KB taking %d bytes in a 1 MiB store", st.Entries, st.Weight)
	}
	// The caller owns what Get returns.
	s.Set(ctx, "k", []byte("abc"), 0)
	v, _ := s.Get(ctx, "k")
	v[0] = 'X'
	if again, _ := s.Get(ctx, "k"); string(again) != "abc" {
		t.Fatalf("writing to a returned value changed the store: %q", again)
	}
	if _, err := NewGCFreeStore(GCFreeStoreOptions{MaxBytes: -1}); err == nil ||
		!strings.HasPrefix(err.Error(), "multilevel: GCFreeStoreOptions.MaxBytes ") || !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("MaxBytes -1: %v", err)
	}
	if _, err := NewGCFreeStore(GCFreeStoreOptions{Shards: 3}); err == nil || !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Shards 3: %v", err)
	}
}

// The hybrid: a small L1 of live objects in front of the GC-free store.
// Values the L1 evicted come back from the slabs, decoded; two caches
// sharing the store invalidate each other's L1.
func TestHybridCache(t *testing.T) {
	store, err := NewGCFreeStore(GCFreeStoreOptions{MaxBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	type user struct{ Name string }
	newHybrid := func() *Cache[int, user] {
		opts := Options[int, user]{Store: store, Namespace: "users", L2TTL: cache.NoTTL}
		opts.L1.MaxEntries = 100
		opts.L1.TTL = cache.NoTTL
		c, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	a, b := newHybrid(), newHybrid()
	ctx := context.Background()
	for i := range 5000 {
		if err := a.Set(ctx, i, user{Name: fmt.Sprint("user", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if store.Len() != 5000 {
		t.Fatalf("the GC-free store holds %d of 5000 entries", store.Len())
	}
	for i := range 5000 {
		u, err := a.Get(ctx, i)
		if err != nil || u.Name != fmt.Sprint("user", i) {
			t.Fatalf("Get(%d) = %+v, %v", i, u, err)
		}
	}
	if st := a.Stats(); st.L2.Hits < 4800 {
		t.Fatalf("%d of 5000 reads came from the store, want most (the L1 holds 100): %+v", st.L2.Hits, st.L2)
	}
	if u, _ := b.Get(ctx, 7); u.Name != "user7" {
		t.Fatalf("the other cache read %+v", u)
	}
	if err := a.Set(ctx, 7, user{Name: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := b.Get(ctx, 7); u.Name != "renamed" {
		t.Fatalf("the other cache still serves %+v after an invalidation", u)
	}
}

// A lease the slabs cannot hold is an error, not a refusal: a refusal
// would send the caller to wait for a holder that does not exist.
func TestGCFreeStoreLeaseTooLarge(t *testing.T) {
	s, err := NewGCFreeStore(GCFreeStoreOptions{MaxBytes: 1024, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	lease := []byte(leaseMagic + strings.Repeat("i", s.s.MaxEntrySize()))
	if ok, err := s.TryLease(ctx, "ns:k", lease, time.Second); ok || err == nil ||
		!strings.HasPrefix(err.Error(), "multilevel: GCFreeStore.TryLease of \"ns:k\": the lease takes ") {
		t.Fatalf("TryLease of an oversized lease = %v, %v; want an error", ok, err)
	}
	if _, err := s.Get(ctx, "ns:k"); !errors.Is(err, ErrMiss) {
		t.Fatalf("the oversized lease was stored: %v", err)
	}
	if ok, err := s.TryLease(ctx, "ns:k", []byte(leaseMagic+"a.1"), time.Second); !ok || err != nil {
		t.Fatalf("TryLease of a small lease = %v, %v", ok, err)
	}
}

// A key too long for the slabs is a lease they cannot hold too: an error,
// not a refusal.
func TestGCFreeStoreLeaseKeyTooLong(t *testing.T) {
	s, err := NewGCFreeStore(GCFreeStoreOptions{MaxBytes: 8 << 20, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := "ns:" + strings.Repeat("k", 1<<16)
	if ok, err := s.TryLease(context.Background(), key, []byte(leaseMagic+"a.1"), time.Second); ok == (err != nil) {
		t.Fatalf("TryLease of a %d-byte key = %v, %v; want it taken, or an error", len(key), ok, err)
	}
}
