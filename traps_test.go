package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stratacache/cache/internal/fakeclock"
)

// A weigher that returns 0 cannot take the cache past MaxWeight: a weight
// of 0 counts as 1.
func TestZeroWeightCountsAsOne(t *testing.T) {
	c := Must(New(Options[int, int]{MaxWeight: 100, Shards: 1, Weigher: func(int, int) uint32 { return 0 }}))
	defer c.Close()
	for i := range 1000 {
		c.Set(i, i)
	}
	if st := c.Stats(); c.Len() > 100 || st.Weight > 100 || st.Weight != int64(c.Len()) {
		t.Fatalf("after 1000 zero-weight entries: %d entries weighing %d, bound 100", c.Len(), st.Weight)
	}
}

// A compute function that writes its own key would make Compute retry for
// ever; Compute panics instead, with a message that says what fn did.
func TestComputeWritingItsOwnKeyPanics(t *testing.T) {
	c := Must(New(Options[string, int]{}))
	defer c.Close()
	calls := 0
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "fn must not write the key it computes") || !strings.Contains(msg, "Compute(k)") {
			t.Fatalf("Compute panicked with %q after %d calls; want a message naming the key and the cause", msg, calls)
		}
		if calls != 1000 {
			t.Fatalf("fn ran %d times, want 1000", calls)
		}
	}()
	c.Compute("k", func(old int, _ bool) (int, Action) {
		calls++
		c.Set("k", old+1)
		return old + 1, ActionSet
	})
	t.Fatal("Compute returned")
}

// A typed nil loader (a nil LoaderFunc, a nil pointer to a Loader type) is
// no loader: GetOrLoad and GetMany fall back to Options' loader or return
// ErrNoLoader, never a *PanicError from calling it.
func TestTypedNilLoaderIsNoLoader(t *testing.T) {
	ctx := context.Background()
	c := Must(New(Options[int, int]{}))
	defer c.Close()
	var nilFunc LoaderFunc[int, int]
	var nilPtr *pointerLoader
	var nilBulk BulkLoaderFunc[int, int]
	for name, ld := range map[string]Loader[int, int]{"LoaderFunc": nilFunc, "pointer": nilPtr} {
		if _, err := c.GetOrLoad(ctx, 1, ld); !errors.Is(err, ErrNoLoader) {
			t.Errorf("GetOrLoad with a nil %s: %v, want ErrNoLoader", name, err)
		}
	}
	if _, err := c.GetMany(ctx, []int{1}, nilBulk); !errors.Is(err, ErrNoLoader) {
		t.Errorf("GetMany with a nil BulkLoaderFunc: %v, want ErrNoLoader", err)
	}

	d := Must(New(Options[int, int]{
		Load:     func(context.Context, int) (int, error) { return 7, nil },
		LoadMany: func(_ context.Context, keys []int) (map[int]int, error) { return map[int]int{keys[0]: 8}, nil },
	}))
	defer d.Close()
	if v, err := d.GetOrLoad(ctx, 1, nilFunc); v != 7 || err != nil {
		t.Errorf("GetOrLoad with a nil LoaderFunc and Options.Load: %d, %v; want 7, nil", v, err)
	}
	if m, err := d.GetMany(ctx, []int{2}, nilBulk); m[2] != 8 || err != nil {
		t.Errorf("GetMany with a nil BulkLoaderFunc and Options.LoadMany: %v, %v; want map[2:8]", m, err)
	}
}

type pointerLoader struct{ v int }

func (p *pointerLoader) Load(context.Context, int) (int, error) { return p.v, nil }

// Without any loader, GetOrLoad still returns what the cache holds: the
// loader is only needed on a miss, and a nil loader behaves exactly as a
// typed nil one does (see Loader).
func TestNoLoaderStillGetsHits(t *testing.T) {
	ctx := context.Background()
	c := Must(New(Options[int, int]{}))
	defer c.Close()
	c.Set(1, 10)
	var nilFunc LoaderFunc[int, int]
	for name, ld := range map[string]Loader[int, int]{"nil": nil, "nil LoaderFunc": nilFunc} {
		if v, err := c.GetOrLoad(ctx, 1, ld); v != 10 || err != nil {
			t.Errorf("GetOrLoad of a stored key with a %s loader = %d, %v; want 10, nil", name, v, err)
		}
		if _, err := c.GetOrLoad(ctx, 2, ld); !errors.Is(err, ErrNoLoader) {
			t.Errorf("GetOrLoad of a missing key with a %s loader: %v, want ErrNoLoader", name, err)
		}
	}
}

type pointerTracer struct{ started int }

func (p *pointerTracer) StartLoad(ctx context.Context, _ LoadInfo) (context.Context, func(error)) {
	p.started++
	return ctx, nil
}

// A typed nil Clock or Tracer (a nil *fakeclock.Clock, a nil pointer to a
// Tracer type) is bad options, reported by New, not a panic: in New for
// the clock, and for the tracer on a load's goroutine, which takes the
// program down.
func TestTypedNilClockAndTracerAreRejected(t *testing.T) {
	for field, o := range map[string]Options[int, int]{
		"Clock":  {Clock: (*fakeclock.Clock)(nil)},
		"Tracer": {Tracer: (*pointerTracer)(nil)},
	} {
		t.Run(field, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				var c *Cache[int, int]
				if c, err = New(o); err == nil {
					c.Close()
				}
			}()
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "Options."+field) {
				t.Fatalf("New with a typed nil %s: %v; want an error naming Options.%s", field, err, field)
			}
		})
	}
}
