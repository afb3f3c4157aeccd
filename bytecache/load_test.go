package bytecache

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/internal/fakeclock"
)

// A TTLLoader's lifetime is the loaded value's: its own, the default TTL
// for 0, none for cache.NoTTL, and not stored when negative. A plain
// loader's value, and Options.Load's, live the default TTL.
func TestGetOrLoadTakesLoaderLifetime(t *testing.T) {
	clk := fakeclock.New()
	c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, TTL: time.Minute, Clock: clk,
		Load: func(context.Context, string) (string, error) { return "option", nil }})
	calls := map[string]int{}
	timed := cache.TTLLoaderFunc[string, string](func(_ context.Context, key string) (string, time.Duration, error) {
		calls[key]++ // GetOrLoad waits for the load: no other goroutine counts
		switch key {
		case "own":
			return "o", 10 * time.Second, nil
		case "long":
			return "l", time.Hour, nil
		case "never":
			return "n", cache.NoTTL, nil
		case "default":
			return "d", 0, nil
		}
		return "u", -time.Second, nil
	})
	plain := cache.LoaderFunc[string, string](func(context.Context, string) (string, error) { return "p", nil })
	ctx := context.Background()
	for _, tc := range []struct {
		key    string
		loader cache.Loader[string, string]
		want   string
		left   time.Duration // 0: not stored
	}{
		{"own", timed, "o", 10 * time.Second},
		{"long", timed, "l", time.Hour},
		{"never", timed, "n", cache.NoTTL},
		{"default", timed, "d", time.Minute},
		{"uncached", timed, "u", 0},
		{"plain", plain, "p", time.Minute},
		{"option", nil, "option", time.Minute},
	} {
		if v, err := c.GetOrLoad(ctx, tc.key, tc.loader); err != nil || v != tc.want {
			t.Fatalf("GetOrLoad(%q) = %q, %v; want %q", tc.key, v, err, tc.want)
		}
		_, left, ok := c.s.GetWithTTL(tc.key)
		if tc.left == 0 && ok || tc.left != 0 && (!ok || left != tc.left) {
			t.Fatalf("%q is stored: %v, with %v left; want %v (0: not stored)", tc.key, ok, left, tc.left)
		}
	}
	if v, err := c.GetOrLoad(ctx, "uncached", timed); err != nil || v != "u" || calls["uncached"] != 2 {
		t.Fatalf("GetOrLoad(uncached) again = %q, %v after %d loads; want a second load", v, err, calls["uncached"])
	}
	clk.Advance(10*time.Second - 1)
	if _, ok := c.Get("own"); !ok {
		t.Fatal("the loader's 10s ended early")
	}
	clk.Advance(1)
	if _, ok := c.Get("own"); ok {
		t.Fatal("the loader's 10s was not applied: the value outlived it")
	}
	clk.Advance(50 * time.Second)
	for _, k := range []string{"default", "plain", "option"} {
		if _, ok := c.Get(k); ok {
			t.Fatalf("%q outlived the default TTL of a minute", k)
		}
	}
	clk.Advance(59 * time.Minute)
	if _, ok := c.Get("long"); ok {
		t.Fatal("the loader's hour was not applied")
	}
	clk.Advance(1000 * time.Hour)
	if v, ok := c.Get("never"); !ok || v != "n" {
		t.Fatal("the value the loader gave no expiry expired")
	}
	if n := calls["own"] + calls["long"] + calls["never"] + calls["default"]; n != 4 {
		t.Fatalf("%d loads of the four stored keys, want 4", n)
	}
}

type pointerLoader struct{ v int }

func (p *pointerLoader) Load(context.Context, string) (int, error) { return p.v, nil }

// A typed nil loader (a nil cache.LoaderFunc, a nil pointer to a Loader
// type) is no loader, as in the object cache: GetOrLoad falls back to
// Options.Load or returns cache.ErrNoLoader, never a *cache.PanicError
// from calling it.
func TestTypedNilLoaderIsNoLoader(t *testing.T) {
	ctx := context.Background()
	var nilFunc cache.LoaderFunc[string, int]
	var nilPtr *pointerLoader
	loaders := map[string]cache.Loader[string, int]{"LoaderFunc": nilFunc, "pointer": nilPtr}

	c := newCache(t, Options[string, int]{MaxBytes: 1 << 20})
	for name, ld := range loaders {
		if _, err := c.GetOrLoad(ctx, "k", ld); !errors.Is(err, cache.ErrNoLoader) {
			t.Errorf("GetOrLoad with a nil %s: %v, want cache.ErrNoLoader", name, err)
		}
	}
	d := newCache(t, Options[string, int]{MaxBytes: 1 << 20,
		Load: func(context.Context, string) (int, error) { return 7, nil }})
	for name, ld := range loaders {
		if v, err := d.GetOrLoad(ctx, name, ld); v != 7 || err != nil {
			t.Errorf("GetOrLoad with a nil %s and Options.Load: %d, %v; want 7, nil", name, v, err)
		}
	}
	if st := c.Stats(); st.LoadsPanicked != 0 {
		t.Errorf("%d loads panicked", st.LoadsPanicked)
	}
}

// panicCodec is the default codec, but it panics encoding "poison".
type panicCodec struct{ codec.Codec[string] }

func (p panicCodec) Marshal(v string) ([]byte, error) {
	if v == "poison" {
		panic("cannot encode poison")
	}
	return p.Codec.Marshal(v)
}

// A load that panics, calls runtime.Goexit, or whose value makes the codec
// panic releases every caller waiting on it with an error and the zero
// value, stores nothing and leaves no flight behind: the next miss loads
// again.
func TestFailedLoadReachesEveryWaiter(t *testing.T) {
	for _, tc := range []struct {
		name string
		load func() string
		want func(error) bool
	}{
		{"panic", func() string { panic("boom") }, func(err error) bool {
			var pe *cache.PanicError
			return errors.As(err, &pe) && pe.Value == "boom"
		}},
		{"Goexit", func() string { runtime.Goexit(); return "" }, func(err error) bool {
			return errors.Is(err, cache.ErrLoaderExited)
		}},
		{"codec panic", func() string { return "poison" }, func(err error) bool {
			var pe *cache.PanicError
			return errors.As(err, &pe) && pe.Value == "cannot encode poison"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: panicCodec{codec.Default[string]()}})
				release := make(chan struct{})
				ld := cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
					<-release
					return tc.load(), nil
				})
				const n = 5
				vals, errs := make([]string, n), make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { vals[i], errs[i] = c.GetOrLoad(context.Background(), "k", ld) })
				}
				synctest.Wait() // all n wait on one load
				close(release)
				wg.Wait()
				for i, err := range errs {
					if !tc.want(err) || vals[i] != "" {
						t.Errorf("waiter %d got %q, %v", i, vals[i], err)
					}
				}
				if st := c.Stats(); st.LoadsPanicked != 1 || st.LoadsSucceeded+st.LoadsFailed != 0 {
					t.Errorf("stats: %d panicked, %d succeeded, %d failed; want 1 panicked", st.LoadsPanicked, st.LoadsSucceeded, st.LoadsFailed)
				}
				if n := c.loads.active.Load(); n != 0 || c.Len() != 0 {
					t.Errorf("%d loads left in flight, %d entries stored", n, c.Len())
				}
				if v, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
					return "fine", nil
				})); v != "fine" || err != nil {
					t.Errorf("next GetOrLoad = %q, %v; want a load of its own", v, err)
				}
			})
		})
	}
}

// Each caller waits on a shared load only as long as its own ctx allows;
// one giving up cancels neither the load nor the others' waits.
func TestEachWaiterHonoursItsOwnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCache(t, Options[string, int]{MaxBytes: 1 << 20})
		release := make(chan struct{})
		var loadErr error
		ld := cache.LoaderFunc[string, int](func(ctx context.Context, _ string) (int, error) {
			<-release
			loadErr = ctx.Err()
			return 42, nil
		})
		type result struct {
			v   int
			err error
		}
		wait := func(ctx context.Context) chan result {
			ch := make(chan result, 1)
			go func() {
				v, err := c.GetOrLoad(ctx, "k", ld)
				ch <- result{v, err}
			}()
			return ch
		}
		cancelled, cancel := context.WithCancel(context.Background())
		timed, stop := context.WithTimeout(context.Background(), time.Second)
		defer stop()
		first, second, third := wait(cancelled), wait(timed), wait(context.Background())
		synctest.Wait()
		cancel()
		if r := <-first; !errors.Is(r.err, context.Canceled) {
			t.Fatalf("cancelled waiter got %d, %v", r.v, r.err)
		}
		if r := <-second; !errors.Is(r.err, context.DeadlineExceeded) { // the bubble's clock reaches the deadline
			t.Fatalf("timed waiter got %d, %v", r.v, r.err)
		}
		select {
		case r := <-third:
			t.Fatalf("the third waiter returned %d, %v before the load ended", r.v, r.err)
		default:
		}
		close(release)
		if r := <-third; r.v != 42 || r.err != nil {
			t.Fatalf("third waiter got %d, %v", r.v, r.err)
		}
		if loadErr != nil {
			t.Fatalf("the load's context ended with its callers': %v", loadErr)
		}
		if v, ok := c.Get("k"); !ok || v != 42 {
			t.Fatalf("the load was not stored: %d, %v", v, ok)
		}
	})
}
