package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
)

// recordingTracer records what a Cache tells its Tracer, and marks each
// loader context with the number of its load.
type recordingTracer struct {
	mu      sync.Mutex
	started []LoadInfo
	ended   []error
}

type loadNumberKey struct{}

func (r *recordingTracer) StartLoad(ctx context.Context, load LoadInfo) (context.Context, func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, load)
	return context.WithValue(ctx, loadNumberKey{}, len(r.started)), func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ended = append(r.ended, err)
	}
}

func (r *recordingTracer) snapshot() ([]LoadInfo, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]LoadInfo(nil), r.started...), append([]error(nil), r.ended...)
}

func TestTracerHearsEachLoadBeforeItsCallerReturns(t *testing.T) {
	tr := &recordingTracer{}
	c := newLoadTestCache(t, Options[string, int]{Tracer: tr})
	defer c.Close()
	var sawLoad any
	ld := LoaderFunc[string, int](func(ctx context.Context, k string) (int, error) {
		sawLoad = ctx.Value(loadNumberKey{})
		switch k {
		case "fail":
			return 0, errBackend
		case "absent":
			return 0, ErrNotFound
		case "panic":
			panic("boom")
		}
		return len(k), nil
	})
	ctx := context.Background()
	if v, err := c.GetOrLoad(ctx, "ok", ld); v != 2 || err != nil {
		t.Fatalf("GetOrLoad = %d, %v", v, err)
	}
	// The trace has ended by the time the caller has its value: nothing
	// to wait for.
	started, ended := tr.snapshot()
	if len(started) != 1 || started[0] != (LoadInfo{Keys: 1}) || len(ended) != 1 || ended[0] != nil {
		t.Fatalf("after one load the tracer saw starts %+v, ends %v", started, ended)
	}
	if sawLoad != 1 {
		t.Fatalf("the loader's context carries %v, want the tracer's mark 1", sawLoad)
	}
	// Hits, through Get or GetOrLoad, are not traced.
	c.Get("ok")
	c.GetOrLoad(ctx, "ok", ld)
	for _, k := range []string{"fail", "absent", "panic"} {
		c.GetOrLoad(ctx, k, ld)
	}
	started, ended = tr.snapshot()
	if len(started) != 4 || len(ended) != 4 {
		t.Fatalf("after four loads and two hits: %d starts, %d ends", len(started), len(ended))
	}
	var pe *PanicError
	if !errors.Is(ended[1], errBackend) || !errors.Is(ended[2], ErrNotFound) || !errors.As(ended[3], &pe) {
		t.Fatalf("ends got %v; want the backend error, ErrNotFound, a *PanicError", ended[1:])
	}
}

func TestTracerSeesOneLoadForCoalescedCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &recordingTracer{}
		c := newLoadTestCache(t, Options[string, int]{Tracer: tr})
		defer c.Close()
		ld := newGatedLoader(keyLength)
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { c.GetOrLoad(context.Background(), "k", ld) })
		}
		synctest.Wait()
		close(ld.open)
		wg.Wait()
		if started, ended := tr.snapshot(); len(started) != 1 || len(ended) != 1 {
			t.Fatalf("10 callers of one load: %d starts, %d ends; want 1 and 1", len(started), len(ended))
		}
	})
}

func TestTracerBulkLoad(t *testing.T) {
	tr := &recordingTracer{}
	c := newLoadTestCache(t, Options[string, int]{Tracer: tr})
	defer c.Close()
	var sawLoad any
	bl := BulkLoaderFunc[string, int](func(ctx context.Context, keys []string) (map[string]int, error) {
		sawLoad = ctx.Value(loadNumberKey{})
		return lengths(keys[:1]) // the others do not exist
	})
	if _, err := c.GetMany(context.Background(), []string{"a", "bb", "ccc"}, bl); err != nil {
		t.Fatal(err)
	}
	started, ended := tr.snapshot()
	if len(started) != 1 || started[0] != (LoadInfo{Keys: 3, Bulk: true}) || sawLoad != 1 {
		t.Fatalf("GetMany of 3 misses: starts %+v, loader saw mark %v", started, sawLoad)
	}
	// Keys left out are answers, not a failed call.
	if len(ended) != 1 || ended[0] != nil {
		t.Fatalf("ends %v; want one nil", ended)
	}
}

func TestTracerRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &recordingTracer{}
		c, _, _ := refreshFixture(t, func(o *Options[string, int]) { o.Tracer = tr })
		defer c.Close()
		c.GetOrLoad(context.Background(), "k", LoaderFunc[string, int](func(context.Context, string) (int, error) {
			return 0, errBackend
		}))
		synctest.Wait() // the refresh runs in the background
		started, ended := tr.snapshot()
		if len(started) != 1 || started[0] != (LoadInfo{Keys: 1, Refresh: true}) {
			t.Fatalf("a stale hit: starts %+v; want one refresh", started)
		}
		if len(ended) != 1 || !errors.Is(ended[0], errBackend) {
			t.Fatalf("ends %v; want the refresh's error", ended)
		}
	})
}

// panickyTracer panics in StartLoad, which the Tracer contract forbids;
// the load must still end, so that no caller waits for it forever.
type panickyTracer struct{}

func (panickyTracer) StartLoad(context.Context, LoadInfo) (context.Context, func(error)) {
	panic("tracer bug")
}

// A Tracer that breaks its contract by panicking does not strand the
// load's callers: they get the panic as a *PanicError, single and bulk.
func TestTracerPanicReachesTheCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := Must(New(Options[string, int]{MaxEntries: 16, Tracer: panickyTracer{},
			Load: LoaderFunc[string, int](func(context.Context, string) (int, error) { return 1, nil }),
			LoadMany: BulkLoaderFunc[string, int](func(_ context.Context, keys []string) (map[string]int, error) {
				return map[string]int{keys[0]: 1}, nil
			})}))
		defer c.Close()
		var pe *PanicError
		if _, err := c.GetOrLoad(t.Context(), "a", nil); !errors.As(err, &pe) {
			t.Fatalf("GetOrLoad = %v, want a *PanicError", err)
		}
		if _, err := c.GetMany(t.Context(), []string{"b"}, nil); !errors.As(err, &pe) {
			t.Fatalf("GetMany = %v, want a *PanicError", err)
		}
	})
}
