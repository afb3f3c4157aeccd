package bytecache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stratacache/cache"
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
