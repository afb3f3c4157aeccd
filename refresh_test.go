package cache

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// refreshFixture is a cache with RefreshAfter 1m and TTL 10m on a manual
// clock, holding "k"=1 written two minutes ago: stale but live.
func refreshFixture(t *testing.T, extra func(*Options[string, int])) (*Cache[string, int], *fakeClock, *evictLog) {
	t.Helper()
	clk := newFakeClock()
	log := &evictLog{}
	opts := Options[string, int]{
		TTL:          10 * time.Minute,
		RefreshAfter: time.Minute,
		Clock:        clk,
		OnEvict:      log.record,
	}
	if extra != nil {
		extra(&opts)
	}
	c := newLoadTestCache(t, opts)
	c.Set("k", 1)
	clk.Advance(2 * time.Minute)
	return c, clk, log
}

func TestRefreshServesStaleValueAndReloadsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, log := refreshFixture(t, nil)
		defer c.Close()
		ld := newGatedLoader(func(context.Context, string) (int, error) { return 2, nil })
		for range 100 {
			// The loader is held at its gate: these return at once only
			// because the stale value is served without waiting.
			if v, err := c.GetOrLoad(context.Background(), "k", ld); v != 1 || err != nil {
				t.Fatalf("stale read got %d, %v; want the current 1 at once", v, err)
			}
		}
		synctest.Wait()
		if n := ld.calls.Load(); n != 1 {
			t.Fatalf("100 stale reads started %d reloads, want 1", n)
		}
		close(ld.open)
		synctest.Wait()
		if v, _ := c.Peek("k"); v != 2 {
			t.Fatalf("after the reload the value is %d, want 2", v)
		}
		if got := log.String(); got != "k=1 replaced" {
			t.Fatalf("OnEvict heard %q, want the old value replaced", got)
		}
		st := c.Stats()
		if st.RefreshesSucceeded != 1 || st.RefreshesFailed != 0 || st.LoadsSucceeded != 1 {
			t.Fatalf("stats %+v; want one successful refresh", st)
		}
		// The reloaded value is fresh: no further reload.
		c.GetOrLoad(context.Background(), "k", ld)
		synctest.Wait()
		if n := ld.calls.Load(); n != 1 {
			t.Fatal("a fresh value was reloaded")
		}
	})
}

func TestFailedRefreshKeepsOldValueUntilExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk, log := refreshFixture(t, nil)
		defer c.Close()
		ld := newGatedLoader(func(context.Context, string) (int, error) { return 0, errBackend })
		close(ld.open)
		if v, err := c.GetOrLoad(context.Background(), "k", ld); v != 1 || err != nil {
			t.Fatalf("stale read got %d, %v", v, err)
		}
		synctest.Wait()
		if v, ok := c.Peek("k"); !ok || v != 1 {
			t.Fatal("a failed refresh dropped the old value")
		}
		st := c.Stats()
		if st.RefreshesFailed != 1 || st.LoadsFailed != 1 || st.RefreshesSucceeded != 0 {
			t.Fatalf("stats %+v; want one failed refresh", st)
		}
		if got := log.String(); got != "" {
			t.Fatalf("OnEvict heard %q after a failed refresh", got)
		}
		clk.Advance(8 * time.Minute) // 10 minutes after the write
		if _, ok := c.Peek("k"); ok {
			t.Fatal("the old value outlived its TTL")
		}
	})
}

func TestRefreshDoesNotUndoAWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, _ := refreshFixture(t, nil)
		defer c.Close()
		ld := newGatedLoader(func(context.Context, string) (int, error) { return 2, nil })
		c.GetOrLoad(context.Background(), "k", ld)
		synctest.Wait()
		c.Set("k", 9)
		close(ld.open)
		synctest.Wait()
		if v, _ := c.Peek("k"); v != 9 {
			t.Fatalf("the refresh overwrote a later write: %d", v)
		}
		if st := c.Stats(); st.RefreshesSucceeded != 1 {
			t.Fatalf("stats %+v; the reload itself succeeded", st)
		}
	})
}

func TestGetRefreshesWithDefaultLoader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ld := newGatedLoader(func(context.Context, string) (int, error) { return 2, nil })
		c, _, _ := refreshFixture(t, func(o *Options[string, int]) { o.Load = ld.Load })
		defer c.Close()
		if v, ok := c.Get("k"); !ok || v != 1 {
			t.Fatalf("Get = %d, %v; want the stale 1", v, ok)
		}
		synctest.Wait()
		if ld.calls.Load() != 1 {
			t.Fatal("a stale Get did not start a reload")
		}
		close(ld.open)
		synctest.Wait()
		if v, _ := c.Get("k"); v != 2 {
			t.Fatalf("Get after the reload = %d, want 2", v)
		}
	})
}

func TestGetWithoutDefaultLoaderDoesNotRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _, _ := refreshFixture(t, nil)
		defer c.Close()
		c.Get("k")
		synctest.Wait()
		if n := loadsInFlight(c); n != 0 || c.Stats().Loads() != 0 {
			t.Fatal("Get started a load with no default loader")
		}
	})
}

func TestMissJoinsRefreshInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk, _ := refreshFixture(t, nil)
		defer c.Close()
		ld := newGatedLoader(func(context.Context, string) (int, error) { return 2, nil })
		c.GetOrLoad(context.Background(), "k", ld)
		synctest.Wait()
		clk.Advance(9 * time.Minute) // the old value expires during the reload
		results := waitAll(c, 5, "k", ld)
		synctest.Wait()
		if n := ld.calls.Load(); n != 1 {
			t.Fatalf("misses during a reload ran the loader %d times, want 1", n)
		}
		close(ld.open)
		vals, errs := results()
		for i := range vals {
			if vals[i] != 2 || errs[i] != nil {
				t.Fatalf("caller %d got %d, %v; want the reloaded 2", i, vals[i], errs[i])
			}
		}
		if v, ok := c.Peek("k"); !ok || v != 2 {
			t.Fatal("a reload that outlived the old value was not stored")
		}
	})
}

func TestRefreshFindingKeyGone(t *testing.T) {
	for _, negTTL := range []time.Duration{0, time.Hour} {
		t.Run("NegativeTTL="+negTTL.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, _, log := refreshFixture(t, func(o *Options[string, int]) { o.NegativeTTL = negTTL })
				defer c.Close()
				gone := LoaderFunc[string, int](func(context.Context, string) (int, error) { return 0, ErrNotFound })
				c.GetOrLoad(context.Background(), "k", gone)
				synctest.Wait()
				if _, ok := c.Peek("k"); ok {
					t.Fatal("the value survived a reload that found the key gone")
				}
				if got := log.String(); got != "k=1 deleted" {
					t.Fatalf("OnEvict heard %q, want the value deleted", got)
				}
				_, err := c.GetOrLoad(context.Background(), "k", gone)
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("GetOrLoad after = %v", err)
				}
				wantLen := 0
				if negTTL > 0 {
					wantLen = 1 // a negative entry
				}
				if c.Len() != wantLen {
					t.Fatalf("Len %d, want %d", c.Len(), wantLen)
				}
				if st := c.Stats(); st.RefreshesSucceeded != 1 {
					t.Fatalf("stats %+v; not-found is an answer, not a failure", st)
				}
			})
		})
	}
}

// A nil ctx (misuse: context.TODO is what to pass) gets an error from
// GetOrLoad, not a panic; in particular not one on a stale hit after its
// refresh was registered, which left the key "being loaded" for good: no
// refresh again, and every later miss waiting for a load that never ran.
func TestGetOrLoadNilContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, clk, _ := refreshFixture(t, nil)
		defer c.Close()
		ld := LoaderFunc[string, int](func(context.Context, string) (int, error) { return 2, nil })
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("a loading read with a nil ctx panicked: %v", r)
				}
			}()
			//lint:ignore SA1012 the misuse under test
			if _, err := c.GetOrLoad(nil, "k", ld); err == nil {
				t.Error("GetOrLoad(nil ctx) returned no error")
			}
			//lint:ignore SA1012 the misuse under test
			if _, err := c.GetMany(nil, []string{"k"}, BulkLoaderFunc[string, int](lengthsLoader)); err == nil {
				t.Error("GetMany(nil ctx) returned no error")
			}
		}()
		clk.Advance(time.Hour) // "k" expires
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if v, err := c.GetOrLoad(ctx, "k", ld); v != 2 || err != nil {
			t.Fatalf("GetOrLoad after the nil-ctx call = %d, %v; want 2 from a load", v, err)
		}
	})
}

func lengthsLoader(_ context.Context, keys []string) (map[string]int, error) { return lengths(keys) }
