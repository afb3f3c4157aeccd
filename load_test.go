package cache

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var errBackend = errors.New("backend unavailable")

// waitAll runs n callers of GetOrLoad on key and returns their results
// through the returned function, which blocks until all have returned.
func waitAll(c *Cache[string, int], n int, key string, ld Loader[string, int]) func() ([]int, []error) {
	vals := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { vals[i], errs[i] = c.GetOrLoad(context.Background(), key, ld) })
	}
	return func() ([]int, []error) {
		wg.Wait()
		return vals, errs
	}
}

func TestGetOrLoadCoalescesMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{})
		defer c.Close()
		ld := newGatedLoader(keyLength)
		results := waitAll(c, 1000, "hello", ld)
		synctest.Wait() // every caller is now waiting on the one load
		if n := ld.calls.Load(); n != 1 {
			t.Fatalf("1000 concurrent misses ran the loader %d times, want 1", n)
		}
		close(ld.open)
		vals, errs := results()
		for i := range vals {
			if vals[i] != 5 || errs[i] != nil {
				t.Fatalf("caller %d got %d, %v; want 5, nil", i, vals[i], errs[i])
			}
		}
		if v, ok := c.Get("hello"); !ok || v != 5 {
			t.Fatalf("Get after the load = %d, %v; want 5, true", v, ok)
		}
		st := c.Stats()
		if st.LoadsSucceeded != 1 || st.Loads() != 1 || st.Misses != 1000 || st.Hits != 1 {
			t.Fatalf("stats %+v; want 1 load, 1000 misses, 1 hit", st)
		}
		if n := loadsInFlight(c); n != 0 {
			t.Fatalf("%d flights left registered", n)
		}
	})
}

func TestGetOrLoadUsesDefaultLoader(t *testing.T) {
	c := newLoadTestCache(t, Options[string, int]{Load: keyLength})
	defer c.Close()
	if v, err := c.GetOrLoad(context.Background(), "abc", nil); v != 3 || err != nil {
		t.Fatalf("GetOrLoad with the default loader = %d, %v", v, err)
	}
	explicit := LoaderFunc[string, int](func(context.Context, string) (int, error) { return 42, nil })
	if v, err := c.GetOrLoad(context.Background(), "xy", explicit); v != 42 || err != nil {
		t.Fatalf("GetOrLoad with an explicit loader = %d, %v; want 42", v, err)
	}

	bare := newLoadTestCache(t, Options[string, int]{})
	defer bare.Close()
	if _, err := bare.GetOrLoad(context.Background(), "k", nil); !errors.Is(err, ErrNoLoader) {
		t.Fatalf("GetOrLoad without any loader: %v, want ErrNoLoader", err)
	}
	if _, err := bare.GetMany(context.Background(), []string{"k"}, nil); !errors.Is(err, ErrNoLoader) {
		t.Fatalf("GetMany without any loader: %v, want ErrNoLoader", err)
	}
}

type ctxKey struct{}

func TestWaiterCancellationLeavesLoadRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{})
		defer c.Close()
		var loadCtxErr error
		var loadCtxValue any
		ld := newGatedLoader(func(ctx context.Context, key string) (int, error) {
			loadCtxErr, loadCtxValue = ctx.Err(), ctx.Value(ctxKey{})
			return 7, nil
		})
		firstCtx, cancelFirst := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "from the first caller"))
		var firstErr error
		firstDone := make(chan struct{})
		go func() {
			defer close(firstDone)
			_, firstErr = c.GetOrLoad(firstCtx, "k", ld)
		}()
		synctest.Wait()
		others := waitAll(c, 3, "k", ld)
		synctest.Wait()

		cancelFirst()
		<-firstDone
		if !errors.Is(firstErr, context.Canceled) {
			t.Fatalf("cancelled caller got %v, want context.Canceled", firstErr)
		}
		close(ld.open)
		vals, errs := others()
		for i := range vals {
			if vals[i] != 7 || errs[i] != nil {
				t.Fatalf("other caller %d got %d, %v; want 7", i, vals[i], errs[i])
			}
		}
		if loadCtxErr != nil {
			t.Fatalf("the first caller's cancellation reached the load: %v", loadCtxErr)
		}
		if loadCtxValue != "from the first caller" {
			t.Fatalf("load context value %v; the first caller's values must be kept", loadCtxValue)
		}
		if v, ok := c.Peek("k"); !ok || v != 7 {
			t.Fatal("the load's result was not cached after a caller gave up")
		}
		if n := ld.calls.Load(); n != 1 {
			t.Fatalf("loader ran %d times, want 1", n)
		}
	})
}

func TestDeadContextDoesNotLoad(t *testing.T) {
	c := newLoadTestCache(t, Options[string, int]{})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	_, err := c.GetOrLoad(ctx, "k", LoaderFunc[string, int](func(context.Context, string) (int, error) {
		called = true
		return 1, nil
	}))
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("GetOrLoad on a dead context: %v, loader called %v", err, called)
	}
}

// The failure cases share one shape: every waiter gets the failure, the
// cache stays empty, the next call loads again, and synctest.Test would
// fail on any goroutine left behind.
func TestLoadFailuresReachEveryWaiter(t *testing.T) {
	cases := []struct {
		name  string
		load  func(ctx context.Context, key string) (int, error)
		check func(t *testing.T, err error)
		stat  func(Stats) uint64
	}{{
		name: "error",
		load: func(context.Context, string) (int, error) { return 99, errBackend },
		check: func(t *testing.T, err error) {
			if !errors.Is(err, errBackend) {
				t.Fatalf("got %v, want the loader's error", err)
			}
		},
		stat: func(s Stats) uint64 { return s.LoadsFailed },
	}, {
		name: "panic with an error",
		load: func(context.Context, string) (int, error) { panic(errBackend) },
		check: func(t *testing.T, err error) {
			var pe *PanicError
			if !errors.As(err, &pe) || pe.Value != errBackend || !errors.Is(err, errBackend) {
				t.Fatalf("got %v, want a *PanicError unwrapping to the panic value", err)
			}
			if !bytes.Contains(pe.Stack, []byte("TestLoadFailuresReachEveryWaiter")) {
				t.Fatalf("the stack does not show the panicking loader:\n%s", pe.Stack)
			}
		},
		stat: func(s Stats) uint64 { return s.LoadsPanicked },
	}, {
		name: "panic with a string",
		load: func(context.Context, string) (int, error) { panic("boom") },
		check: func(t *testing.T, err error) {
			var pe *PanicError
			if !errors.As(err, &pe) || pe.Value != "boom" || errors.Unwrap(err) != nil {
				t.Fatalf("got %v, want a *PanicError holding \"boom\"", err)
			}
			if err.Error() != "cache: loader panicked: boom" {
				t.Fatalf("message %q", err.Error())
			}
		},
		stat: func(s Stats) uint64 { return s.LoadsPanicked },
	}, {
		name: "panic wrapping ErrNotFound",
		load: func(context.Context, string) (int, error) { panic(ErrNotFound) },
		check: func(t *testing.T, err error) {
			var pe *PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *PanicError", err)
			}
		},
		stat: func(s Stats) uint64 { return s.LoadsPanicked },
	}, {
		name: "Goexit",
		load: func(context.Context, string) (int, error) { runtime.Goexit(); return 0, nil },
		check: func(t *testing.T, err error) {
			if !errors.Is(err, ErrLoaderExited) {
				t.Fatalf("got %v, want ErrLoaderExited", err)
			}
		},
		stat: func(s Stats) uint64 { return s.LoadsPanicked },
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newLoadTestCache(t, Options[string, int]{NegativeTTL: time.Hour})
				defer c.Close()
				ld := newGatedLoader(tc.load)
				results := waitAll(c, 50, "k", ld)
				synctest.Wait()
				close(ld.open)
				vals, errs := results()
				for i := range errs {
					if vals[i] != 0 {
						t.Fatalf("caller %d got value %d with a failure", i, vals[i])
					}
					tc.check(t, errs[i])
				}
				if c.Len() != 0 {
					t.Fatalf("a failed load left %d entries", c.Len())
				}
				st := c.Stats()
				if tc.stat(st) != 1 || st.Loads() != 1 {
					t.Fatalf("stats %+v; want exactly this one failure counted", st)
				}
				again := newGatedLoader(keyLength)
				close(again.open)
				if v, err := c.GetOrLoad(context.Background(), "k", again); v != 1 || err != nil {
					t.Fatalf("the load after a failure got %d, %v", v, err)
				}
			})
		})
	}
}

func TestCloseCancelsLoadInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{})
		var cause error
		ld := LoaderFunc[string, int](func(ctx context.Context, _ string) (int, error) {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return 0, ctx.Err()
		})
		results := waitAll(c, 10, "k", ld)
		synctest.Wait()
		c.Close()
		_, errs := results()
		for i, err := range errs {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("caller %d got %v after Close, want ErrClosed", i, err)
			}
		}
		synctest.Wait() // the loader has seen the cancellation and returned
		if !errors.Is(cause, ErrClosed) {
			t.Fatalf("the load's context was cancelled with cause %v, want ErrClosed", cause)
		}
		if _, err := c.GetOrLoad(context.Background(), "k", ld); !errors.Is(err, ErrClosed) {
			t.Fatalf("GetOrLoad after Close: %v, want ErrClosed", err)
		}
		if _, err := c.GetMany(context.Background(), []string{"k"}, BulkLoaderFunc[string, int](lengthsCtx)); !errors.Is(err, ErrClosed) {
			t.Fatalf("GetMany after Close: %v, want ErrClosed", err)
		}
		if st := c.Stats(); st.LoadsFailed != 1 {
			t.Fatalf("stats %+v; the cancelled load counts as failed", st)
		}
	})
}

func lengthsCtx(_ context.Context, keys []string) (map[string]int, error) { return lengths(keys) }

func TestLoadTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{LoadTimeout: time.Second})
		defer c.Close()
		start := time.Now()
		_, err := c.GetOrLoad(context.Background(), "k", LoaderFunc[string, int](func(ctx context.Context, _ string) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		if took := time.Since(start); took != time.Second {
			t.Fatalf("the load was cut after %v, want 1s", took)
		}
		if c.Len() != 0 {
			t.Fatal("a timed-out load was cached")
		}
	})
}

func TestWritesDuringLoadWin(t *testing.T) {
	writes := map[string]struct {
		write func(c *Cache[string, int])
		want  int
		found bool
	}{
		"Set":      {func(c *Cache[string, int]) { c.Set("k", 2) }, 2, true},
		"GetOrSet": {func(c *Cache[string, int]) { c.GetOrSet("k", 3) }, 3, true},
		"Compute": {func(c *Cache[string, int]) {
			c.Compute("k", func(int, bool) (int, Action) { return 4, ActionSet })
		}, 4, true},
		"Delete": {func(c *Cache[string, int]) { c.Delete("k") }, 0, false},
		"Clear":  {func(c *Cache[string, int]) { c.Clear() }, 0, false},
	}
	for name, tc := range writes {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newLoadTestCache(t, Options[string, int]{})
				defer c.Close()
				ld := newGatedLoader(func(context.Context, string) (int, error) { return 1, nil })
				results := waitAll(c, 1, "k", ld)
				synctest.Wait()
				tc.write(c)
				close(ld.open)
				vals, errs := results()
				if vals[0] != 1 || errs[0] != nil {
					t.Fatalf("the waiter got %d, %v; want the loaded 1", vals[0], errs[0])
				}
				if v, ok := c.Peek("k"); v != tc.want || ok != tc.found {
					t.Fatalf("after %s during a load the cache holds %d, %v; want %d, %v", name, v, ok, tc.want, tc.found)
				}
			})
		})
	}
}

func TestMissAfterDeleteDoesNotJoinOlderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadTestCache(t, Options[string, int]{})
		defer c.Close()
		old := newGatedLoader(func(context.Context, string) (int, error) { return 1, nil })
		first := waitAll(c, 1, "k", old)
		synctest.Wait()
		c.Delete("k") // e.g. the backend row changed
		fresh := newGatedLoader(func(context.Context, string) (int, error) { return 2, nil })
		second := waitAll(c, 1, "k", fresh)
		synctest.Wait()
		if fresh.calls.Load() != 1 {
			t.Fatal("a miss after Delete joined the load that started before it")
		}
		close(fresh.open)
		if vals, _ := second(); vals[0] != 2 {
			t.Fatalf("second caller got %d, want 2", vals[0])
		}
		close(old.open)
		first()
		if v, _ := c.Peek("k"); v != 2 {
			t.Fatalf("the superseded load overwrote the newer one: %d", v)
		}
	})
}

func TestLoadedValuesTakeDefaultTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		c := newLoadTestCache(t, Options[string, int]{TTL: time.Minute, Clock: clk, Load: keyLength})
		defer c.Close()
		if _, err := c.GetOrLoad(context.Background(), "abc", nil); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute - 1)
		if _, ok := c.Peek("abc"); !ok {
			t.Fatal("loaded value gone before its TTL")
		}
		clk.Advance(1)
		if _, ok := c.Peek("abc"); ok {
			t.Fatal("loaded value outlived its TTL")
		}
	})
}

func TestLoadTimeIsMeasuredOnTheClock(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{Clock: clk})
	defer c.Close()
	_, _ = c.GetOrLoad(context.Background(), "k", LoaderFunc[string, int](func(context.Context, string) (int, error) {
		clk.Advance(3 * time.Millisecond)
		return 1, nil
	}))
	if st := c.Stats(); st.LoadTime != 3*time.Millisecond {
		t.Fatalf("LoadTime %v, want 3ms", st.LoadTime)
	}
}
