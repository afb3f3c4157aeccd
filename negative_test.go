package cache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// userLoader reports every key but "alice" as not found, and counts calls.
type userLoader struct{ calls atomic.Int32 }

func (u *userLoader) Load(_ context.Context, key string) (int, error) {
	u.calls.Add(1)
	if key == "alice" {
		return 1, nil
	}
	return 0, fmt.Errorf("user %q: %w", key, ErrNotFound)
}

func TestNegativeCaching(t *testing.T) {
	clk := newFakeClock()
	log := &evictLog{}
	c := newLoadTestCache(t, Options[string, int]{NegativeTTL: time.Minute, Clock: clk, OnEvict: log.record})
	defer c.Close()
	ld := &userLoader{}

	_, err := c.GetOrLoad(context.Background(), "bob", ld)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `user "bob"`) {
		t.Fatalf("first load: %v; want the loader's own not-found error", err)
	}
	for range 3 {
		if _, err := c.GetOrLoad(context.Background(), "bob", ld); err != ErrNotFound {
			t.Fatalf("negative hit: %v; want ErrNotFound", err)
		}
	}
	if n := ld.calls.Load(); n != 1 {
		t.Fatalf("loader called %d times within NegativeTTL, want 1", n)
	}
	if _, ok := c.Get("bob"); ok {
		t.Fatal("Get reported a negative entry as a value")
	}
	for k := range c.All() {
		t.Fatalf("iteration yielded the negative entry %q", k)
	}
	st := c.Stats()
	if st.NegativeHits != 4 || st.Hits != 0 || st.Misses != 1 || st.Entries != 1 || st.LoadsSucceeded != 1 {
		t.Fatalf("stats %+v; want 4 negative hits apart from hits and misses", st)
	}

	clk.Advance(time.Minute)
	if _, err := c.GetOrLoad(context.Background(), "bob", ld); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if n := ld.calls.Load(); n != 2 {
		t.Fatalf("loader called %d times; the negative entry should have expired", n)
	}

	c.Set("bob", 5)
	if v, err := c.GetOrLoad(context.Background(), "bob", ld); v != 5 || err != nil {
		t.Fatalf("Set over a negative entry: got %d, %v", v, err)
	}
	if got := log.String(); got != "" {
		t.Fatalf("OnEvict heard of negative entries: %q", got)
	}
}

func TestNotFoundIsNotCachedWithoutNegativeTTL(t *testing.T) {
	c := newLoadTestCache(t, Options[string, int]{})
	defer c.Close()
	ld := &userLoader{}
	for range 3 {
		if _, err := c.GetOrLoad(context.Background(), "bob", ld); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	if n := ld.calls.Load(); n != 3 || c.Len() != 0 {
		t.Fatalf("%d loads, %d entries; want 3 loads and nothing cached", n, c.Len())
	}
}

func TestDeleteClearsNegativeEntry(t *testing.T) {
	c := newLoadTestCache(t, Options[string, int]{NegativeTTL: NoTTL})
	defer c.Close()
	ld := &userLoader{}
	c.GetOrLoad(context.Background(), "bob", ld)
	if c.Delete("bob") {
		t.Fatal("Delete reported a negative entry as a live value")
	}
	c.GetOrLoad(context.Background(), "bob", ld)
	if n := ld.calls.Load(); n != 2 {
		t.Fatalf("loader called %d times; Delete should drop the negative entry", n)
	}
	if _, ok, _ := c.c.shardFor(c.c.hasher.Hash("bob")).Lookup("bob", c.c.hasher.Hash("bob")); ok {
		t.Fatal("Compute would see the negative entry as a value")
	}
}

func TestTTLJitterSpreadsExpiry(t *testing.T) {
	clk := newFakeClock()
	c := newLoadTestCache(t, Options[string, int]{TTL: 100 * time.Second, TTLJitter: 0.5, Clock: clk})
	defer c.Close()
	const n = 1000
	for i := range n {
		c.Set(fmt.Sprint(i), i)
	}
	c.SetWithTTL("exact", 0, 100*time.Second)
	live := func() int {
		k := 0
		for range c.All() {
			k++
		}
		return k
	}
	clk.Advance(50 * time.Second)
	if k := live(); k != n+1 {
		t.Fatalf("%d live at 50s; jitter 0.5 must keep every lifetime above 50s", k)
	}
	clk.Advance(25 * time.Second)
	if k := live(); k <= 1 || k >= n+1 {
		t.Fatalf("%d live at 75s; lifetimes should spread over (50s, 100s]", k)
	}
	clk.Advance(25*time.Second - 1)
	if _, ok := c.Peek("exact"); !ok {
		t.Fatal("SetWithTTL's own lifetime was jittered")
	}
	clk.Advance(1)
	if k := live(); k != 0 {
		t.Fatalf("%d live at 100s; jitter must never lengthen a lifetime", k)
	}
}

func TestLoadingOptionsValidation(t *testing.T) {
	cases := []struct {
		field string
		opts  Options[string, int]
	}{
		{"TTLJitter", Options[string, int]{TTLJitter: -0.1}},
		{"TTLJitter", Options[string, int]{TTLJitter: 1}},
		{"TTLJitter", Options[string, int]{TTLJitter: math.NaN()}},
		{"LoadTimeout", Options[string, int]{LoadTimeout: -1}},
		{"RefreshAfter", Options[string, int]{RefreshAfter: -1}},
		{"NegativeTTL", Options[string, int]{NegativeTTL: -1}},
	}
	for _, tc := range cases {
		_, err := New(tc.opts)
		if err == nil || !errors.Is(err, ErrInvalidOptions) || !strings.HasPrefix(err.Error(), "cache: Options."+tc.field+" ") {
			t.Errorf("New(%s) error %v; want one naming Options.%s", tc.field, err, tc.field)
		}
	}
	c, err := New(Options[string, int]{TTLJitter: 0.99, LoadTimeout: time.Second, RefreshAfter: time.Minute, NegativeTTL: NoTTL})
	if err != nil {
		t.Fatalf("valid loading options refused: %v", err)
	}
	c.Close()
}
