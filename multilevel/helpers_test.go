package multilevel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/internal/fakeclock"
)

// fakeClock is a cache.Clock that moves only when a test advances it.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }

// spyStore wraps a Store, counting calls and optionally failing them.
type spyStore struct {
	Store
	gets, sets, deletes atomic.Int64

	// fail, when set, makes every call return errDown at once; hang makes
	// every call wait for its context to end instead.
	fail, hang atomic.Bool
}

var errDown = errors.New("store is down")

func (s *spyStore) trouble(ctx context.Context) error {
	switch {
	case s.hang.Load():
		<-ctx.Done()
		return ctx.Err()
	case s.fail.Load():
		return errDown
	}
	return nil
}

func (s *spyStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.gets.Add(1)
	if err := s.trouble(ctx); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, key)
}

func (s *spyStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.sets.Add(1)
	if err := s.trouble(ctx); err != nil {
		return err
	}
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *spyStore) Delete(ctx context.Context, key string) error {
	s.deletes.Add(1)
	if err := s.trouble(ctx); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

// newMemory returns a MemoryStore closed at the end of the test.
func newMemory(t testing.TB, clk *fakeClock) *MemoryStore {
	t.Helper()
	o := MemoryStoreOptions{}
	if clk != nil {
		o.Clock = clk
	}
	ms, err := NewMemoryStore(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ms.Close)
	return ms
}

// newGCFree returns a GCFreeStore closed at the end of the test.
func newGCFree(t testing.TB, clk *fakeClock) *GCFreeStore {
	t.Helper()
	o := GCFreeStoreOptions{}
	if clk != nil {
		o.Clock = clk
	}
	s, err := NewGCFreeStore(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// localStore is what the two in-process stores, MemoryStore and
// GCFreeStore, both are.
type localStore interface {
	Store
	Bus
	Leaser
	TTLGetter
	Len() int
	Close()
}

// localStores make each in-process store, closed at the end of the test,
// on clk (nil: the system clock, which a synctest bubble fakes).
var localStores = []struct {
	name string
	new  func(t testing.TB, clk *fakeClock) localStore
}{
	{"memory", func(t testing.TB, clk *fakeClock) localStore { return newMemory(t, clk) }},
	{"gcfree", func(t testing.TB, clk *fakeClock) localStore { return newGCFree(t, clk) }},
}

// eachLocalStore runs test on each in-process store, on a fake clock.
func eachLocalStore(t *testing.T, test func(t *testing.T, s localStore, clk *fakeClock)) {
	for _, ls := range localStores {
		t.Run(ls.name, func(t *testing.T) {
			clk := newFakeClock()
			test(t, ls.new(t, clk), clk)
		})
	}
}

// eachLocalStoreInBubble runs test in a synctest bubble per in-process
// store, made in the bubble on the system clock, so that its expiry
// follows the bubble's time.
func eachLocalStoreInBubble(t *testing.T, test func(t *testing.T, s localStore)) {
	for _, ls := range localStores {
		t.Run(ls.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { test(t, ls.new(t, nil)) })
		})
	}
}

// loadCounter is a loader returning "v:"+key and counting its calls.
type loadCounter struct {
	calls atomic.Int64
}

func (l *loadCounter) load(_ context.Context, key string) (string, error) {
	l.calls.Add(1)
	return "v:" + key, nil
}

// mustNew builds a Cache and closes it at the end of the test.
func mustNew[K comparable, V any](t testing.TB, o Options[K, V]) *Cache[K, V] {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func mustGet[K comparable, V comparable](t testing.TB, c *Cache[K, V], key K, want V) {
	t.Helper()
	got, err := c.Get(context.Background(), key)
	if err != nil || got != want {
		t.Fatalf("Get(%v) = %v, %v; want %v, nil", key, got, err, want)
	}
}

// body returns the bytes after the codec header of stored bytes.
func body(t testing.TB, raw []byte) []byte {
	t.Helper()
	h, err := codec.ParseHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw[h.Len:]
}
