package multilevel

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stratacache/cache"
)

// A Cache whose caller dropped every other reference stays open until each
// of its methods returns: the cleanup New registers must not close it
// under a running call (a config reload that swaps caches does exactly
// this). The cache is built inside the call expression, so the method's
// receiver is its only reference; the loader collects garbage meanwhile.
func TestCacheStaysOpenDuringItsCalls(t *testing.T) {
	ms := newMemory(t, nil)
	load := func(ctx context.Context, key string) (string, error) {
		for range 4 {
			runtime.GC()
			runtime.Gosched()
		}
		return "v:" + key, context.Cause(ctx)
	}
	ctx := context.Background()
	v, err := unheld(t, Options[string, string]{Store: ms, Namespace: "a", Load: load}).Get(ctx, "k")
	if v != "v:k" || err != nil {
		t.Fatalf("Get = %q, %v; want v:k, nil", v, err)
	}
	v, err = unheld(t, Options[string, string]{Store: ms, Namespace: "b"}).GetOrLoad(ctx, "k", cache.LoaderFunc[string, string](load))
	if v != "v:k" || err != nil {
		t.Fatalf("GetOrLoad = %q, %v; want v:k, nil", v, err)
	}
}

// unheld is mustNew without the test's reference: nothing but the caller
// keeps the cache reachable.
func unheld[K comparable, V any](t *testing.T, o Options[K, V]) *Cache[K, V] {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A typed nil loader given to GetOrLoad is no loader: Options.Load runs,
// or the read ends in ErrNotFound, never in a loader panic.
func TestTypedNilLoaderMeansOptionsLoad(t *testing.T) {
	ms := newMemory(t, nil)
	ctx := context.Background()
	var nilFunc cache.LoaderFunc[string, string]
	load := func(_ context.Context, key string) (string, error) { return "v:" + key, nil }
	if v, err := mustNew(t, Options[string, string]{Store: ms, Namespace: "a", Load: load}).GetOrLoad(ctx, "k", nilFunc); v != "v:k" || err != nil {
		t.Errorf("GetOrLoad(nil LoaderFunc) with Options.Load = %q, %v; want v:k, nil", v, err)
	}
	if _, err := mustNew(t, Options[string, string]{Store: ms, Namespace: "b"}).GetOrLoad(ctx, "k", nilFunc); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetOrLoad(nil LoaderFunc) without Options.Load = %v; want ErrNotFound", err)
	}
}
