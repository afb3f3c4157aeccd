package cache

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestGetManyLoadsMissingKeysInOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{NegativeTTL: time.Hour})
		defer c.Close()
		c.Set("a", 100)
		bl := newGatedBulkLoader(func(keys []string) (map[string]int, error) {
			m, _ := lengths(keys)
			delete(m, "dddd") // the backend has no such key
			m["zz"] = 2       // nor was this asked for
			return m, nil
		})
		close(bl.open)
		got, err := c.GetMany(context.Background(), []string{"a", "bb", "ccc", "dddd", "bb"}, bl)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"a": 100, "bb": 2, "ccc": 3}
		if !maps.Equal(got, want) {
			t.Fatalf("GetMany = %v, want %v", got, want)
		}
		calls := bl.Calls()
		if len(calls) != 1 || !slices.Equal(calls[0], []string{"bb", "ccc", "dddd"}) {
			t.Fatalf("bulk loader calls %v; want one call for the missing keys", calls)
		}
		if _, ok := c.Peek("zz"); ok {
			t.Fatal("a key the cache did not ask for was stored")
		}
		// dddd is negatively cached; the rest are hits.
		got, err = c.GetMany(context.Background(), []string{"a", "bb", "dddd"}, bl)
		if err != nil || len(got) != 2 || len(bl.Calls()) != 1 {
			t.Fatalf("second GetMany = %v, %v after %d calls; want two hits and no load", got, err, len(bl.Calls()))
		}
		st := c.Stats()
		if st.NegativeHits != 1 || st.LoadsSucceeded != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestGetManyCoalescesWithSingleKeyLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{})
		defer c.Close()
		single := newGatedLoader(keyLength)

		// A single-key load of "k1" is in flight.
		k1 := waitAll(c, 1, "k1", single)
		synctest.Wait()

		// GetMany must wait for it and load only the other keys.
		bl := newGatedBulkLoader(lengths)
		var many map[string]int
		var manyErr error
		manyDone := make(chan struct{})
		go func() {
			defer close(manyDone)
			many, manyErr = c.GetMany(context.Background(), []string{"k1", "k22", "k333"}, bl)
		}()
		synctest.Wait()
		if calls := bl.Calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{"k22", "k333"}) {
			t.Fatalf("bulk loader calls %v; want one call without the key already in flight", calls)
		}

		// A single-key load of a key the bulk load covers waits for it.
		k22 := waitAll(c, 3, "k22", single)
		synctest.Wait()
		if n := single.calls.Load(); n != 1 {
			t.Fatalf("single loader ran %d times; the bulk load should cover k22", n)
		}

		close(bl.open)
		if vals, errs := k22(); vals[0] != 3 || errs[0] != nil {
			t.Fatalf("GetOrLoad(k22) during the bulk load got %d, %v", vals[0], errs[0])
		}
		close(single.open)
		<-manyDone
		want := map[string]int{"k1": 2, "k22": 3, "k333": 4}
		if manyErr != nil || !maps.Equal(many, want) {
			t.Fatalf("GetMany = %v, %v; want %v", many, manyErr, want)
		}
		if vals, _ := k1(); vals[0] != 2 {
			t.Fatalf("GetOrLoad(k1) got %d", vals[0])
		}
		if st := c.Stats(); st.Loads() != 2 {
			t.Fatalf("stats %+v; want one single and one bulk load", st)
		}
	})
}

func TestGetManyFailures(t *testing.T) {
	cases := map[string]struct {
		answer func([]string) (map[string]int, error)
		check  func(error) bool
	}{
		"error": {
			func([]string) (map[string]int, error) { return map[string]int{"x": 1}, errBackend },
			func(err error) bool { return errors.Is(err, errBackend) },
		},
		"panic": {
			func([]string) (map[string]int, error) { panic(errBackend) },
			func(err error) bool { var pe *PanicError; return errors.As(err, &pe) },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newLoadTestCache(t, Options[string, int]{NegativeTTL: time.Hour})
				defer c.Close()
				c.Set("cached", 7)
				bl := newGatedBulkLoader(tc.answer)
				close(bl.open)
				got, err := c.GetMany(context.Background(), []string{"cached", "x", "y"}, bl)
				if !tc.check(err) {
					t.Fatalf("GetMany error %v", err)
				}
				if !maps.Equal(got, map[string]int{"cached": 7}) {
					t.Fatalf("GetMany = %v; want only the value already cached", got)
				}
				if c.Len() != 1 {
					t.Fatalf("a failed bulk load left %d entries, want the 1 cached before", c.Len())
				}
			})
		})
	}
}

func TestGetManyBulkNotFound(t *testing.T) {
	c := newLoadTestCache(t, Options[string, int]{NegativeTTL: time.Hour,
		LoadMany: func(context.Context, []string) (map[string]int, error) { return nil, ErrNotFound }})
	defer c.Close()
	got, err := c.GetMany(context.Background(), []string{"x", "y"}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("GetMany = %v, %v; want an empty map and no error", got, err)
	}
	if _, err := c.GetOrLoad(context.Background(), "x", LoaderFunc[string, int](keyLength)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("x after a bulk not-found: %v; want a negative hit", err)
	}
}

func TestGetManyCallerCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{})
		defer c.Close()
		bl := newGatedBulkLoader(lengths)
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = c.GetMany(ctx, []string{"a", "bb"}, bl)
		}()
		synctest.Wait()
		cancel()
		<-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("GetMany got %v, want context.Canceled", err)
		}
		close(bl.open)
		synctest.Wait()
		if v, ok := c.Peek("bb"); !ok || v != 2 {
			t.Fatal("the bulk load's result was not cached after its caller gave up")
		}
	})
}

func TestGetManyRefreshesStaleKeysInOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		c := newLoadTestCache(t, Options[string, int]{RefreshAfter: time.Minute, Clock: clk})
		defer c.Close()
		c.Set("a", 0)
		c.Set("bb", 0)
		clk.Advance(time.Minute)
		c.Set("fresh", 0)
		bl := newGatedBulkLoader(lengths)
		got, err := c.GetMany(context.Background(), []string{"a", "bb", "fresh"}, bl)
		if err != nil || !maps.Equal(got, map[string]int{"a": 0, "bb": 0, "fresh": 0}) {
			t.Fatalf("GetMany = %v, %v; want the current values at once", got, err)
		}
		synctest.Wait()
		calls := bl.Calls()
		if len(calls) != 1 || !slices.Equal(calls[0], []string{"a", "bb"}) {
			t.Fatalf("refresh calls %v; want one call for the stale keys", calls)
		}
		close(bl.open)
		synctest.Wait()
		if v, _ := c.Peek("bb"); v != 2 {
			t.Fatalf("bb after the refresh = %d, want 2", v)
		}
		if st := c.Stats(); st.RefreshesSucceeded != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestGetManyDeadContextServesHitsOnly(t *testing.T) {
	c := newLoadTestCache(t, Options[string, int]{})
	defer c.Close()
	c.Set("a", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bl := newGatedBulkLoader(lengths)
	close(bl.open)
	got, err := c.GetMany(ctx, []string{"a", "bb"}, bl)
	if !errors.Is(err, context.Canceled) || !maps.Equal(got, map[string]int{"a": 1}) {
		t.Fatalf("GetMany on a dead context = %v, %v; want the hit and context.Canceled", got, err)
	}
	if len(bl.Calls()) != 0 || loadsInFlight(c) != 0 {
		t.Fatal("a dead caller started a load")
	}
	if v, err := c.GetOrLoad(ctx, "a", LoaderFunc[string, int](keyLength)); v != 1 || err != nil {
		t.Fatalf("GetOrLoad hit on a dead context = %d, %v; want the value", v, err)
	}
}

// A GetMany that panics partway through its lookups (here in
// ExpireAfterRead, which runs on its goroutine) still runs the loads it
// registered: otherwise their keys would stay "being loaded" for good, and
// every later miss on them would wait for a load that never runs.
func TestGetManyPanicLeavesNoOrphanedLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{
			ExpireAfterRead: func(key string, _ int, _ time.Duration) time.Duration {
				if key == "boom" {
					panic("boom")
				}
				return 0
			},
		})
		defer c.Close()
		c.Set("boom", 1)
		bl := BulkLoaderFunc[string, int](func(_ context.Context, keys []string) (map[string]int, error) {
			return lengths(keys)
		})
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("GetMany recovered %v, want the hook's panic", r)
				}
			}()
			c.GetMany(context.Background(), []string{"a", "boom"}, bl) // "a" misses first
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		v, err := c.GetOrLoad(ctx, "a", LoaderFunc[string, int](func(context.Context, string) (int, error) { return 7, nil }))
		if err != nil || (v != 1 && v != 7) {
			t.Fatalf("GetOrLoad(a) after the GetMany panicked = %d, %v; want a value", v, err)
		}
	})
}
