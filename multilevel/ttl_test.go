package multilevel

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache"
)

// ttlStore wraps a Store and records the lifetime of every Set.
type ttlStore struct {
	Store
	mu   sync.Mutex
	ttls []time.Duration
}

func (s *ttlStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	s.ttls = append(s.ttls, ttl)
	s.mu.Unlock()
	return s.Store.Set(ctx, key, value, ttl)
}

// sets returns the lifetimes of the Sets so far and forgets them.
func (s *ttlStore) sets() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.ttls
	s.ttls = nil
	return out
}

func sameTTLs(got []time.Duration, want ...time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestGetOrLoadUsesTheGivenLoader(t *testing.T) {
	ms := newMemory(t, nil)
	spy := &spyStore{Store: ms}
	var byDefault, given loadCounter
	c := mustNew(t, Options[string, string]{Store: spy, Bus: ms, Namespace: "ns", Load: byDefault.load})
	ctx := context.Background()

	got, err := c.GetOrLoad(ctx, "k", cache.LoaderFunc[string, string](given.load))
	if err != nil || got != "v:k" {
		t.Fatalf("GetOrLoad = %q, %v", got, err)
	}
	if given.calls.Load() != 1 || byDefault.calls.Load() != 0 || spy.sets.Load() != 1 {
		t.Fatalf("%d calls of the given loader, %d of Options.Load, %d store writes; want 1, 0, 1",
			given.calls.Load(), byDefault.calls.Load(), spy.sets.Load())
	}
	mustGet(t, c, "k", "v:k") // an L1 hit, whoever loaded it
	if _, err := c.GetOrLoad(ctx, "other", nil); err != nil || byDefault.calls.Load() != 1 {
		t.Fatalf("GetOrLoad with a nil loader: %v, %d calls of Options.Load; want Options.Load once", err, byDefault.calls.Load())
	}
	if st := c.Stats(); st.Origin.Loads != 2 || st.L1.Hits != 1 || st.L2.Writes != 2 {
		t.Fatalf("stats %+v; want 2 loads (both loaders count), 1 L1 hit, 2 store writes", st)
	}

	// A second instance finds the value in the store: neither loader runs.
	var other loadCounter
	b := mustNew(t, Options[string, string]{Store: spy, Bus: ms, Namespace: "ns"})
	if got, err := b.GetOrLoad(ctx, "k", cache.LoaderFunc[string, string](other.load)); err != nil || got != "v:k" || other.calls.Load() != 0 {
		t.Fatalf("second instance: %q, %v after %d loads; want the stored value and no load", got, err, other.calls.Load())
	}

	// No Options.Load: the given loader is all there is, and a nil one
	// means not found.
	if _, err := b.GetOrLoad(ctx, "absent", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetOrLoad with no loader at all = %v, want ErrNotFound", err)
	}
	notFound := cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
		return "", ErrNotFound
	})
	if _, err := b.GetOrLoad(ctx, "absent", notFound); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetOrLoad with a loader saying not found = %v", err)
	}
	if st := b.Stats().Origin; st.Loads != 1 || st.NotFound != 1 {
		t.Fatalf("origin stats %+v; want one load, not found", st)
	}
}

func TestSetWithTTLAppliesToBothLevels(t *testing.T) {
	clk := newFakeClock()
	ms := newMemory(t, clk)
	st := &ttlStore{Store: ms}
	var ld loadCounter
	o := Options[string, string]{Store: st, Bus: ms, Namespace: "ns", Load: ld.load, L2TTL: time.Hour}
	o.L1.TTL = time.Minute
	o.L1.Clock = clk
	c := mustNew(t, o)
	ctx := context.Background()

	// Shorter than the L1 TTL: both levels keep it for 10s.
	if err := c.SetWithTTL(ctx, "short", "s", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := st.sets(); !sameTTLs(got, 10*time.Second) {
		t.Fatalf("store lifetimes %v, want [10s]", got)
	}
	clk.Advance(9 * time.Second)
	mustGet(t, c, "short", "s")
	if ld.calls.Load() != 0 || c.Stats().L2.Hits != 0 {
		t.Fatal("a live entry was not served from the L1")
	}
	clk.Advance(2 * time.Second) // past 10s: gone from both levels
	mustGet(t, c, "short", "v:short")
	if ld.calls.Load() != 1 || c.Stats().L2.Hits != 0 {
		t.Fatalf("after its TTL: %d loads, %d store hits; want a load, no store hit", ld.calls.Load(), c.Stats().L2.Hits)
	}
	if got := st.sets(); !sameTTLs(got, time.Hour) {
		t.Fatalf("write-back lifetimes %v, want [1h] (L2TTL)", got)
	}

	// Longer than the L1 TTL: the store keeps it 5m, the L1 1m.
	if err := c.SetWithTTL(ctx, "long", "l", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(61 * time.Second)
	hits := c.Stats().L2.Hits
	mustGet(t, c, "long", "l")
	if c.Stats().L2.Hits != hits+1 {
		t.Fatal("past the L1 TTL the value did not come from the store")
	}

	// 0: the defaults. cache.NoTTL: no expiry in the store.
	if err := c.SetWithTTL(ctx, "default", "d", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.SetWithTTL(ctx, "forever", "f", cache.NoTTL); err != nil {
		t.Fatal(err)
	}
	if got := st.sets(); !sameTTLs(got, 5*time.Minute, time.Hour, 0) {
		t.Fatalf("store lifetimes %v, want [5m 1h 0]", got)
	}

	// Negative: already expired, so deleted from both levels.
	if err := c.SetWithTTL(ctx, "forever", "gone", -time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.Get(ctx, "ns:forever"); !errors.Is(err, ErrMiss) {
		t.Fatalf("store Get after a negative TTL: %v, want ErrMiss", err)
	}
	mustGet(t, c, "forever", "v:forever")
}

// The way grpccache stores an answer with a lifetime of its own: a
// SetWithTTL from inside the loader. Its lifetime holds in both levels;
// the load writes nothing back over it.
func TestSetWithTTLInsideALoadWins(t *testing.T) {
	clk := newFakeClock()
	ms := newMemory(t, clk)
	st := &ttlStore{Store: ms}
	o := Options[string, []byte]{Store: st, Bus: ms, Namespace: "ns", L2TTL: time.Hour}
	o.L1.TTL = time.Minute
	o.L1.Clock = clk
	c := mustNew(t, o)
	ctx := context.Background()

	var calls int
	var loader cache.LoaderFunc[string, []byte] = func(ctx context.Context, key string) ([]byte, error) {
		calls++
		v := []byte("answer")
		if err := c.SetWithTTL(ctx, key, v, 5*time.Second); err != nil {
			return nil, err
		}
		return v, nil
	}
	for range 2 {
		if got, err := c.GetOrLoad(ctx, "k", loader); err != nil || string(got) != "answer" {
			t.Fatalf("GetOrLoad = %q, %v", got, err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d loads, want 1 (then an L1 hit)", calls)
	}
	if got := st.sets(); !sameTTLs(got, 5*time.Second) {
		t.Fatalf("store lifetimes %v; want only the loader's [5s], no write-back with L2TTL", got)
	}
	clk.Advance(6 * time.Second)
	if _, err := c.GetOrLoad(ctx, "k", loader); err != nil {
		t.Fatal(err)
	}
	if calls != 2 || c.Stats().L2.Hits != 0 {
		t.Fatalf("after 6s: %d loads, %d store hits; want the answer gone from both levels", calls, c.Stats().L2.Hits)
	}
}

// With an L2TTL shorter than the L1's TTL, neither a Set nor a load may
// leave the writing instance's L1 serving a value after the store has
// dropped it: the L1 keeps it for L2TTL at most. (It used to keep it for
// L1.TTL, serving it up to 9 minutes past its store lifetime here.)
func TestShortL2TTLBoundsTheL1(t *testing.T) {
	clk := newFakeClock()
	ms := newMemory(t, clk)
	var ld loadCounter
	o := Options[string, string]{Store: ms, Bus: ms, Namespace: "ns", Load: ld.load, L2TTL: time.Minute}
	o.L1.TTL = 10 * time.Minute
	o.L1.Clock = clk
	c := mustNew(t, o)
	ctx := context.Background()

	if err := c.Set(ctx, "set", "s"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, c, "loaded", "v:loaded") // a miss in both levels: loaded once
	clk.Advance(59 * time.Second)
	mustGet(t, c, "set", "s")
	mustGet(t, c, "loaded", "v:loaded")
	if ld.calls.Load() != 1 || c.Stats().L2.Hits != 0 {
		t.Fatalf("within L2TTL: %d loads, %d store hits; want both values from the L1", ld.calls.Load(), c.Stats().L2.Hits)
	}
	clk.Advance(2 * time.Second) // past L2TTL: gone from both levels
	mustGet(t, c, "set", "v:set")
	mustGet(t, c, "loaded", "v:loaded")
	if ld.calls.Load() != 3 {
		t.Fatalf("past L2TTL: %d loads in all; want 3 (each value loaded again)", ld.calls.Load())
	}
}
