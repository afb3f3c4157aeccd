package multilevel

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache"
)

// twoInstances returns two caches sharing ms on clk: an L1 with a
// one-minute TTL each, a one-hour store TTL, and the store wrapped to
// record the lifetime of every write.
func twoInstances(t *testing.T, clk *fakeClock, ms localStore, extra func(*Options[string, string])) (a, b *Cache[string, string], rec *ttlRecorder) {
	t.Helper()
	rec = &ttlRecorder{ttlStore: &ttlStore{Store: ms}, TTLGetter: ms}
	mk := func() *Cache[string, string] {
		o := Options[string, string]{Store: rec, Bus: ms, Namespace: "ns", L2TTL: time.Hour}
		o.L1.TTL = time.Minute
		o.L1.Clock = clk
		if extra != nil {
			extra(&o)
		}
		return mustNew(t, o)
	}
	return mk(), mk(), rec
}

// ttlRecorder is a ttlStore that stays a TTLGetter: a store's GetTTL
// would be hidden by the wrapping.
type ttlRecorder struct {
	*ttlStore
	TTLGetter
}

func TestLocalStoreGetTTL(t *testing.T) { eachLocalStore(t, testLocalStoreGetTTL) }

func testLocalStoreGetTTL(t *testing.T, ms localStore, clk *fakeClock) {
	ctx := context.Background()
	_ = ms.Set(ctx, "k", []byte("v"), 10*time.Second)
	_ = ms.Set(ctx, "forever", []byte("v"), 0)
	clk.Advance(4 * time.Second)
	if v, left, err := ms.GetTTL(ctx, "k"); err != nil || string(v) != "v" || left != 6*time.Second {
		t.Fatalf("GetTTL(k) = %q, %v, %v; want v with 6s left", v, left, err)
	}
	if _, left, err := ms.GetTTL(ctx, "forever"); err != nil || left != 0 {
		t.Fatalf("GetTTL(forever) = %v, %v; want 0 (no expiry)", left, err)
	}
	if _, _, err := ms.GetTTL(ctx, "absent"); !errors.Is(err, ErrMiss) {
		t.Fatalf("GetTTL(absent) = %v, want ErrMiss", err)
	}
}

// TestStoreLifetimeBoundsOtherL1 is the replica gap: instance B reads a
// value A wrote for 20s when it has 5s left in the store, and must not
// keep it in its L1 for its own minute.
func TestStoreLifetimeBoundsOtherL1(t *testing.T) { eachLocalStore(t, testStoreLifetimeBoundsOtherL1) }

func testStoreLifetimeBoundsOtherL1(t *testing.T, ms localStore, clk *fakeClock) {
	a, b, _ := twoInstances(t, clk, ms, nil)
	ctx := context.Background()
	if err := a.SetWithTTL(ctx, "k", "v", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(15 * time.Second)
	mustGet(t, b, "k", "v") // from the store, 5s left
	clk.Advance(5*time.Second - 1)
	if v, ok := b.c.l1.Peek("k"); !ok || v != "v" {
		t.Fatal("B's L1 dropped the value before its store lifetime ended")
	}
	clk.Advance(1)
	if _, ok := b.c.l1.Peek("k"); ok {
		t.Fatal("B's L1 kept the value past the end of its store lifetime")
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("B.Get after the 20s = %v, want ErrNotFound", err)
	}
}

// TestLoaderLifetimeSetsEveryLevel: a TTLLoader's lifetime is the store
// TTL and the L1's, on the loading instance and on the one that reads the
// store.
func TestLoaderLifetimeSetsEveryLevel(t *testing.T) {
	eachLocalStore(t, testLoaderLifetimeSetsEveryLevel)
}

func testLoaderLifetimeSetsEveryLevel(t *testing.T, ms localStore, clk *fakeClock) {
	a, b, rec := twoInstances(t, clk, ms, nil)
	ctx := context.Background()
	ld := cache.TTLLoaderFunc[string, string](func(_ context.Context, key string) (string, time.Duration, error) {
		if strings.HasPrefix(key, "long") {
			return "L", 2 * time.Hour, nil // longer than the L1's minute
		}
		return "S", 10 * time.Second, nil
	})
	if v, err := a.GetOrLoad(ctx, "short", ld); err != nil || v != "S" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if v, err := a.GetOrLoad(ctx, "long", ld); err != nil || v != "L" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if got := rec.sets(); !sameTTLs(got, 10*time.Second, 2*time.Hour) {
		t.Fatalf("store lifetimes %v, want the loader's 10s and 2h", got)
	}
	clk.Advance(4 * time.Second)
	mustGet(t, b, "short", "S") // B from the store: 6s left
	clk.Advance(6 * time.Second)
	for name, c := range map[string]*Cache[string, string]{"A": a, "B": b} {
		if _, ok := c.c.l1.Peek("short"); ok {
			t.Fatalf("%s's L1 kept the value past the loader's 10s", name)
		}
	}
	if _, _, err := ms.GetTTL(ctx, "ns:short"); !errors.Is(err, ErrMiss) {
		t.Fatalf("the store kept the value past the loader's 10s: %v", err)
	}
	// The 2h answer lives the L1's own minute in the L1 (the L1 TTL bounds
	// staleness) and 2h in the store.
	clk.Advance(time.Minute)
	if _, ok := a.c.l1.Peek("long"); ok {
		t.Fatal("A's L1 kept the 2h value past its own minute")
	}
	if _, left, err := ms.GetTTL(ctx, "ns:long"); err != nil || left <= time.Hour {
		t.Fatalf("store: %v left, %v; want the rest of 2h", left, err)
	}
}

// TestL1ExpireAfterWriteBoundsStoreLifetime: with L1.ExpireAfterWrite, a
// value from the store lives in the L1 for the shorter of what it has left
// there and what the function says.
func TestL1ExpireAfterWriteBoundsStoreLifetime(t *testing.T) {
	eachLocalStore(t, testL1ExpireAfterWriteBoundsStoreLifetime)
}

func testL1ExpireAfterWriteBoundsStoreLifetime(t *testing.T, ms localStore, clk *fakeClock) {
	a, b, _ := twoInstances(t, clk, ms, func(o *Options[string, string]) {
		o.L1.ExpireAfterWrite = func(_ string, v string) time.Duration {
			if v == "brief" {
				return 2 * time.Second
			}
			return 0 // the L1's minute
		}
	})
	ctx := context.Background()
	_ = a.SetWithTTL(ctx, "brief", "brief", 30*time.Second)
	_ = a.SetWithTTL(ctx, "plain", "plain", 30*time.Second)
	mustGet(t, b, "brief", "brief")
	mustGet(t, b, "plain", "plain")
	clk.Advance(2 * time.Second)
	if _, ok := b.c.l1.Peek("brief"); ok {
		t.Fatal("B's L1 kept brief past the 2s its ExpireAfterWrite gives")
	}
	clk.Advance(28 * time.Second)
	if _, ok := b.c.l1.Peek("plain"); ok {
		t.Fatal("B's L1 kept plain past its 30s in the store")
	}
}
