package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// lifeInValue is an ExpireAfterWrite for int values that name their own
// lifetime in seconds: 0 the cache's TTL, -1 never, -2 already expired.
func lifeInValue(_ string, v int) time.Duration {
	switch v {
	case -1:
		return NoTTL
	case -2:
		return -time.Second
	}
	return time.Duration(v) * time.Second
}

// liveAt reports which of keys c holds, as a string, for compact checks.
func liveAt(c *Cache[string, int], keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		if _, ok := c.Peek(k); ok {
			b.WriteString(k)
		} else {
			b.WriteString("-")
		}
	}
	return b.String()
}

func TestExpireAfterWriteDecidesFromValue(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Hour, Clock: clk, ExpireAfterWrite: lifeInValue})
	defer c.Close()
	c.Set("a", 10)  // 10s
	c.Set("b", 30)  // 30s
	c.Set("d", 0)   // the default hour
	c.Set("n", -1)  // never
	c.Set("x", -2)  // already expired
	c.Set("u", 100) // then updated to 5s below
	c.Set("u", 5)
	if got := liveAt(c, "a", "b", "d", "n", "x", "u"); got != "abdn-u" {
		t.Fatalf("at 0s live %q, want abdn-u (x was written expired)", got)
	}
	clk.Advance(5*time.Second - 1)
	if got := liveAt(c, "u"); got != "u" {
		t.Fatal("the update's 5s ended early")
	}
	clk.Advance(1)
	if got := liveAt(c, "a", "u"); got != "a-" {
		t.Fatalf("at 5s live %q, want a-: the update's lifetime comes from the new value", got)
	}
	clk.Advance(5 * time.Second)
	if got := liveAt(c, "a", "b"); got != "-b" {
		t.Fatalf("at 10s live %q, want -b", got)
	}
	clk.Advance(time.Hour)
	if got := liveAt(c, "b", "d", "n"); got != "--n" {
		t.Fatalf("after an hour live %q, want --n", got)
	}
}

func TestExpireAfterWriteComposes(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Hour, Clock: clk, ExpireAfterWrite: lifeInValue})
	defer c.Close()
	c.SetWithTTL("explicit", 1, time.Minute) // explicit wins over 1s
	c.GetOrSet("getorset", 2)
	c.Compute("compute", func(int, bool) (int, Action) { return 3, ActionSet })
	v, err := c.GetOrLoad(context.Background(), "load", LoaderFunc[string, int](func(context.Context, string) (int, error) {
		return 4, nil
	}))
	if v != 4 || err != nil {
		t.Fatalf("GetOrLoad = %d, %v", v, err)
	}
	got, err := c.GetMany(context.Background(), []string{"m5", "m6"}, BulkLoaderFunc[string, int](func(_ context.Context, keys []string) (map[string]int, error) {
		return map[string]int{"m5": 5, "m6": 6}, nil
	}))
	if len(got) != 2 || err != nil {
		t.Fatalf("GetMany = %v, %v", got, err)
	}
	// Each value lives as many seconds as it says.
	keys := []string{"getorset", "compute", "load", "m5", "m6"}
	for second := 1; second <= 6; second++ {
		clk.Advance(time.Second)
		for i, k := range keys {
			live := i+2 > second // getorset holds 2, compute 3, ...
			if _, ok := c.Peek(k); ok != live {
				t.Fatalf("at %ds %q live = %v, want %v", second, k, ok, live)
			}
		}
	}
	if _, ok := c.Peek("explicit"); !ok {
		t.Fatal("SetWithTTL's minute was replaced by the value's lifetime")
	}
}

func TestExpireAfterWriteJittered(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTLJitter: 0.5, Clock: clk,
		ExpireAfterWrite: func(string, int) time.Duration { return 100 * time.Second }})
	defer c.Close()
	const n = 1000
	for i := range n {
		c.Set(fmt.Sprint(i), i)
	}
	count := func() (k int) {
		for range c.All() {
			k++
		}
		return k
	}
	clk.Advance(50 * time.Second)
	if k := count(); k != n {
		t.Fatalf("%d live at 50s; jitter 0.5 keeps every computed 100s above 50s", k)
	}
	clk.Advance(25 * time.Second)
	if k := count(); k == 0 || k == n {
		t.Fatalf("%d live at 75s; computed lifetimes should be spread by the jitter", k)
	}
	clk.Advance(25 * time.Second)
	if k := count(); k != 0 {
		t.Fatalf("%d live at 100s; jitter must never lengthen a computed lifetime", k)
	}
}

func TestExpireAfterWriteSparesNegativeEntries(t *testing.T) {
	clk := newFakeClock()
	calls := 0
	c := newLoadTestCache(t, Options[string, int]{Clock: clk, NegativeTTL: time.Minute,
		ExpireAfterWrite: func(string, int) time.Duration { calls++; return time.Second }})
	defer c.Close()
	missing := LoaderFunc[string, int](func(context.Context, string) (int, error) { return 0, ErrNotFound })
	if _, err := c.GetOrLoad(context.Background(), "gone", missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetOrLoad = %v, want ErrNotFound", err)
	}
	clk.Advance(30 * time.Second)
	if _, err := c.GetOrLoad(context.Background(), "gone", missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetOrLoad = %v", err)
	}
	if st := c.Stats(); st.NegativeHits != 1 || st.LoadsSucceeded+st.LoadsFailed != 1 {
		t.Fatalf("stats %+v: the not-found answer must live its NegativeTTL, not the computed second", st)
	}
	if calls != 0 {
		t.Fatalf("ExpireAfterWrite was called %d times for a negative entry", calls)
	}
}

func TestTTLLoaderDecidesLifetime(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Hour, TTLJitter: 0.5, Clock: clk, ExpireAfterWrite: lifeInValue})
	defer c.Close()
	ld := TTLLoaderFunc[string, int](func(_ context.Context, key string) (int, time.Duration, error) {
		switch key {
		case "own":
			return 1, 10 * time.Second, nil // not jittered, beats the value's 1s
		case "never":
			return 1, NoTTL, nil
		case "value":
			return 20, 0, nil // 0: ExpireAfterWrite decides, jittered
		}
		return 0, -time.Second, nil // returned, not kept
	})
	for _, k := range []string{"own", "never", "value", "expired"} {
		if _, err := c.GetOrLoad(context.Background(), k, ld); err != nil {
			t.Fatal(err)
		}
	}
	if got := liveAt(c, "own", "never", "value", "expired"); got != "ownnevervalue-" {
		t.Fatalf("live %q right after loading", got)
	}
	clk.Advance(10*time.Second - 1)
	if got := liveAt(c, "own"); got != "own" {
		t.Fatal("the loader's 10s was shortened (jitter applies to the cache's lifetimes only)")
	}
	clk.Advance(1)
	if got := liveAt(c, "own"); got != "-" {
		t.Fatal("the loader's 10s was not kept")
	}
	clk.Advance(10 * time.Second)
	if got := liveAt(c, "never", "value"); got != "never-" {
		t.Fatalf("at 20s live %q, want never-", got)
	}
}

func TestTTLBulkLoaderDecidesLifetimes(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Hour, Clock: clk})
	defer c.Close()
	bl := TTLBulkLoaderFunc[string, int](func(_ context.Context, keys []string) (map[string]WithTTL[int], error) {
		m := map[string]WithTTL[int]{}
		for _, k := range keys {
			if k != "absent" {
				m[k] = WithTTL[int]{Value: len(k), TTL: time.Duration(len(k)) * time.Second}
			}
		}
		return m, nil
	})
	got, err := c.GetMany(context.Background(), []string{"a", "bbb", "absent"}, bl)
	if err != nil || len(got) != 2 || got["bbb"] != 3 {
		t.Fatalf("GetMany = %v, %v", got, err)
	}
	clk.Advance(time.Second)
	if s := liveAt(c, "a", "bbb"); s != "-bbb" {
		t.Fatalf("at 1s live %q, want -bbb", s)
	}
	clk.Advance(2 * time.Second)
	if s := liveAt(c, "bbb"); s != "-" {
		t.Fatalf("at 3s live %q; the 3s from the loader was not kept", s)
	}
	// A TTLBulkLoaderFunc is a BulkLoader too.
	plain, err := bl.LoadMany(context.Background(), []string{"zz"})
	if err != nil || plain["zz"] != 2 {
		t.Fatalf("LoadMany = %v, %v", plain, err)
	}
}

// TestRefreshTakesLoaderLifetime: a refresh stores the reloaded value for
// the lifetime its loader gives, not the cache's TTL.
func TestRefreshTakesLoaderLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk, _ := refreshFixture(t, nil) // TTL 10m, RefreshAfter 1m, k=1 2m old
		defer c.Close()
		ld := TTLLoaderFunc[string, int](func(context.Context, string) (int, time.Duration, error) {
			return 2, 90 * time.Second, nil
		})
		if v, err := c.GetOrLoad(context.Background(), "k", ld); v != 1 || err != nil {
			t.Fatalf("stale read = %d, %v", v, err)
		}
		synctest.Wait()
		if v, _ := c.Peek("k"); v != 2 {
			t.Fatalf("after the refresh k = %d, want 2", v)
		}
		clk.Advance(90*time.Second - 1)
		if _, ok := c.Peek("k"); !ok {
			t.Fatal("the refreshed value expired before its 90s")
		}
		clk.Advance(1)
		if _, ok := c.Peek("k"); ok {
			t.Fatal("the refreshed value outlived the 90s its loader gave (the TTL is 10m)")
		}
	})
}

func TestExpireAfterRead(t *testing.T) {
	clk := newFakeClock()
	var seen []time.Duration
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, Clock: clk,
		ExpireAfterRead: func(_ string, v int, remaining time.Duration) time.Duration {
			seen = append(seen, remaining)
			return lifeInValue("", v) // 0 leaves it, -1 never, -2 expires now
		}})
	defer c.Close()
	c.Set("slide", 10)
	c.Set("keep", 0)
	c.Set("never", -1)
	c.Set("once", -2)
	c.SetWithTTL("forever", 0, NoTTL)

	clk.Advance(30 * time.Second)
	for _, k := range []string{"slide", "keep", "never", "once", "forever"} {
		if _, ok := c.Get(k); !ok {
			t.Fatalf("Get(%q) missed at 30s", k)
		}
	}
	want := []time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second, NoTTL}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("remaining lifetimes seen %v, want %v", seen, want)
	}
	if got := liveAt(c, "once"); got != "-" {
		t.Fatal("a read returning a negative lifetime left the value live")
	}
	clk.Advance(10*time.Second - 1)
	if got := liveAt(c, "slide"); got != "slide" {
		t.Fatal("the read's 10s ended early")
	}
	clk.Advance(1)
	if got := liveAt(c, "slide", "keep", "never"); got != "-keepnever" {
		t.Fatalf("at 40s live %q, want -keepnever: slide lives 10s from its read", got)
	}
	clk.Advance(20 * time.Second)
	if got := liveAt(c, "keep", "never", "forever"); got != "-neverforever" {
		t.Fatalf("at 60s live %q: keep ends with its minute, never was made immortal by its read", got)
	}
	if _, ok := c.Peek("forever"); !ok {
		t.Fatal("forever expired")
	}
	// Peek does not call it.
	n := len(seen)
	c.Peek("never")
	if len(seen) != n {
		t.Fatal("Peek called ExpireAfterRead")
	}
}

func TestExpireAfterReadOnLoadingReads(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, Clock: clk,
		ExpireAfterRead: func(string, int, time.Duration) time.Duration { return time.Second }})
	defer c.Close()
	c.Set("a", 1)
	c.Set("b", 2)
	if _, err := c.GetOrLoad(context.Background(), "a", LoaderFunc[string, int](keyLength)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetMany(context.Background(), []string{"b"}, BulkLoaderFunc[string, int](func(_ context.Context, k []string) (map[string]int, error) { return lengths(k) })); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if got := liveAt(c, "a", "b"); got != "--" {
		t.Fatalf("live %q a second after GetOrLoad and GetMany hits that set 1s", got)
	}
}

// TestExpireAfterReadReclaimsShortenedEntries: a read that moves a
// deadline much earlier re-files the entry, so the expiry sweep removes it
// on time rather than when its old deadline (here, never) comes round.
func TestExpireAfterReadReclaimsShortenedEntries(t *testing.T) {
	clk := newFakeClock()
	log := &evictLog{}
	c := newLoadTestCache(t, Options[string, int]{Clock: clk, OnEvict: log.record,
		ExpireAfterRead: func(string, int, time.Duration) time.Duration { return 2 * time.Second }})
	defer c.Close()
	c.Set("k", 1) // no lifetime: the deadline is never
	if _, ok := c.Get("k"); !ok {
		t.Fatal("miss")
	}
	clk.Advance(5 * time.Second)
	c.c.expire()
	if got := log.String(); got != "k=1 expired" {
		t.Fatalf("OnEvict heard %q after the sweep, want k=1 expired", got)
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d after the sweep", c.Len())
	}
}

func TestExpireAfterReadWithAccessRejected(t *testing.T) {
	_, err := New(Options[string, int]{ExpireAfterAccess: true,
		ExpireAfterRead: func(string, int, time.Duration) time.Duration { return 0 }})
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "Options.ExpireAfterRead") {
		t.Fatalf("New = %v, want an ErrInvalidOptions naming ExpireAfterRead", err)
	}
}

// TestExpireAfterReadSetsOnlyTheVersionRead races reads that give each
// value the lifetime its value names with overwrites that bring another
// lifetime. A read that computed an hour from the old value must not give
// it to the new one: a value written already expired stays unreadable,
// one written for 1ms expires 1ms after it was written. It is
// TestSlidingExpiryExtendsOnlyTheVersionRead for ExpireAfterRead; the
// readers take no lock outside race builds, where the race lives.
func TestExpireAfterReadSetsOnlyTheVersionRead(t *testing.T) {
	readers := max(2, runtime.GOMAXPROCS(0))
	const keys = 8
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	const (
		expiredV = -1 // written with a negative TTL
		shortV   = -3 // written with 1ms; a read leaves its lifetime
	)
	clk := newFakeClock()
	c := Must(New(Options[int, int]{Clock: clk, Shards: 1,
		ExpireAfterRead: func(_ int, v int, _ time.Duration) time.Duration {
			if v >= 0 {
				return time.Hour
			}
			return 0
		}}))
	defer c.Close()
	var bad atomic.Int64
	for round := 0; round < rounds; round++ {
		for k := range keys {
			c.Set(k, round)
		}
		var stop atomic.Bool
		var started atomic.Int32
		var wg sync.WaitGroup
		for r := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := r; ; i++ {
					if v, ok := c.Get(i % keys); ok && v == expiredV {
						bad.Add(1)
					}
					if i == r {
						started.Add(1)
					}
					if stop.Load() {
						return
					}
				}
			}()
		}
		for started.Load() < int32(readers) {
			runtime.Gosched()
		}
		for k := range keys {
			if round%2 == 0 {
				c.SetWithTTL(k, expiredV, -time.Second)
			} else {
				c.SetWithTTL(k, shortV, time.Millisecond)
			}
		}
		stop.Store(true)
		wg.Wait()
		clk.Advance(time.Millisecond)
		for k := range keys {
			if v, ok := c.Peek(k); ok {
				t.Fatalf("round %d: key %d holds %d after its own lifetime; a read gave it the old value's hour", round, k, v)
			}
		}
	}
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d reads returned a value written already expired", n)
	}
}

func TestSnapshotKeepsComputedLifetime(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{TTL: time.Hour, ExpireAfterWrite: lifeInValue})
	src.Set("ten", 600) // 10m from its value
	src.Set("never", -1)
	clk.Advance(4 * time.Minute)
	data := save(t, src)

	// The destination computes other lifetimes; the saved remaining 6m
	// must win, as an explicit lifetime does.
	dst := snapCache(t, clk, Options[string, int]{TTL: time.Hour,
		ExpireAfterWrite: func(string, int) time.Duration { return time.Second }})
	if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(6*time.Minute - 1)
	if got := liveAt(dst, "ten", "never"); got != "tennever" {
		t.Fatalf("live %q just before the 6m left at the save", got)
	}
	clk.Advance(1)
	if got := liveAt(dst, "ten", "never"); got != "-never" {
		t.Fatalf("live %q at the end of the 6m left", got)
	}
}

func TestSnapshotOfReadExpiryCache(t *testing.T) {
	clk := newFakeClock()
	src := snapCache(t, clk, Options[string, int]{
		ExpireAfterRead: func(_ string, v int, _ time.Duration) time.Duration { return time.Duration(v) * time.Minute }})
	src.Set("never", 0) // a read leaves it: no deadline at all
	src.Set("read", 3)
	src.Get("never")
	src.Get("read") // 3m from now
	clk.Advance(time.Minute)
	data := save(t, src)
	dst := snapCache(t, clk, Options[string, int]{})
	if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2*time.Minute - 1)
	if got := liveAt(dst, "never", "read"); got != "neverread" {
		t.Fatalf("live %q before the 2m left", got)
	}
	clk.Advance(1000 * time.Hour)
	if got := liveAt(dst, "never", "read"); got != "never-" {
		t.Fatalf("live %q much later; a value without a deadline must stay so", got)
	}
}

func TestGetWithTTL(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, Clock: clk})
	defer c.Close()
	c.SetWithTTL("k", 1, 10*time.Second)
	c.SetWithTTL("forever", 2, NoTTL)
	clk.Advance(4 * time.Second)
	if v, left, ok := c.GetWithTTL("k"); !ok || v != 1 || left != 6*time.Second {
		t.Fatalf("GetWithTTL(k) = %d, %v, %v; want 1 with 6s left", v, left, ok)
	}
	if _, left, ok := c.GetWithTTL("forever"); !ok || left != NoTTL {
		t.Fatalf("GetWithTTL(forever) = %v, %v; want NoTTL", left, ok)
	}
	if _, _, ok := c.GetWithTTL("absent"); ok {
		t.Fatal("GetWithTTL(absent) hit")
	}
	if st := c.Stats(); st.Hits != 2 || st.Misses != 1 {
		t.Fatalf("stats %+v; GetWithTTL counts like Get", st)
	}

	// After an expire-after-access or ExpireAfterRead hit, the time left
	// counts from the read.
	sliding := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, Clock: clk, ExpireAfterAccess: true})
	defer sliding.Close()
	sliding.Set("k", 1)
	clk.Advance(20 * time.Second)
	if _, left, _ := sliding.GetWithTTL("k"); left != time.Minute {
		t.Fatalf("expire-after-access: %v left after a read, want the full minute", left)
	}
	read := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, Clock: clk,
		ExpireAfterRead: func(string, int, time.Duration) time.Duration { return 5 * time.Second }})
	defer read.Close()
	read.Set("k", 1)
	if _, left, _ := read.GetWithTTL("k"); left != 5*time.Second {
		t.Fatalf("ExpireAfterRead: %v left after a read, want its 5s", left)
	}
}
