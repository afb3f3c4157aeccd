package bytecache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

type user struct {
	ID    int
	Name  string
	Roles []string
}

func newCache[K comparable, V any](t *testing.T, opts Options[K, V]) *Cache[K, V] {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestCacheRoundTrip(t *testing.T) {
	c := newCache(t, Options[int, user]{MaxBytes: 1 << 20})
	u := user{ID: 7, Name: "Ada", Roles: []string{"admin"}}
	if err := c.Set(7, u); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(7)
	if !ok || got.Name != "Ada" || len(got.Roles) != 1 || got.Roles[0] != "admin" {
		t.Fatalf("Get(7) = %+v, %v", got, ok)
	}
	// The decoded value is the caller's own.
	got.Roles[0] = "changed"
	if again, _ := c.Get(7); again.Roles[0] != "admin" {
		t.Fatalf("changing a returned value changed the cache: %+v", again)
	}
	if !c.Delete(7) {
		t.Fatal("Delete missed")
	}
	if _, ok := c.Get(7); ok {
		t.Fatal("hit after Delete")
	}
}

func TestCacheRawCodec(t *testing.T) {
	c := newCache(t, Options[string, []byte]{MaxBytes: 1 << 20, Codec: codec.Raw[[]byte]()})
	c.Set("k", []byte("value"))
	if v, ok := c.Get("k"); !ok || string(v) != "value" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
}

func TestCacheOptionsErrors(t *testing.T) {
	for name, err := range map[string]error{
		"Options.EncodeKey": func() error { _, err := New(Options[[2]int, int]{}); return err }(),
		"Options.DecodeKey": func() error {
			_, err := New(Options[[2]int, int]{EncodeKey: func(k [2]int) string { return fmt.Sprint(k) },
				OnEvict: func([2]int, int, cache.Reason) {}})
			return err
		}(),
		"Options.LoadTimeout": func() error { _, err := New(Options[int, int]{LoadTimeout: -1}); return err }(),
		"MaxBytes":            func() error { _, err := New(Options[int, int]{MaxBytes: -1}); return err }(),
	} {
		if err == nil || !errors.Is(err, cache.ErrInvalidOptions) || !strings.HasPrefix(err.Error(), "bytecache: "+name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestCacheTooLarge(t *testing.T) {
	var evicted []cache.Reason
	c := newCache(t, Options[string, string]{MaxBytes: 64 << 10, Codec: codec.Raw[string](),
		OnEvict: func(_ string, _ string, r cache.Reason) { evicted = append(evicted, r) }})
	err := c.Set("k", strings.Repeat("x", c.s.MaxEntrySize()))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set of an oversized value = %v", err)
	}
	if len(evicted) != 1 || evicted[0] != cache.ReasonCapacity {
		t.Fatalf("OnEvict heard %v", evicted)
	}
	if _, ok := c.Get("k"); ok {
		t.Fatal("the oversized value is cached")
	}
}

// badCodec encodes like Raw but fails to decode values starting with '!'.
type badCodec struct{ codec.Codec[string] }

func (b badCodec) Unmarshal(data []byte) (string, error) {
	if h, err := codec.ParseHeader(data); err == nil && len(data) > h.Len && data[h.Len] == '!' {
		return "", fmt.Errorf("bad value: %w", codec.ErrCorrupt)
	}
	return b.Codec.Unmarshal(data)
}

// Bytes that do not decode are never returned as a value: Get misses,
// the entry is dropped and counted.
func TestCacheDecodeErrorIsAMiss(t *testing.T) {
	var heard []string
	c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: badCodec{codec.Raw[string]()},
		OnEvict: func(k, v string, _ cache.Reason) { heard = append(heard, k) }})
	c.Set("good", "fine")
	c.Set("bad", "!broken")
	if v, ok := c.Get("bad"); ok {
		t.Fatalf("Get(bad) = %q, want a miss", v)
	}
	if c.DecodeErrors() != 2 { // the Get, then its removal for OnEvict
		t.Fatalf("DecodeErrors = %d, want 2", c.DecodeErrors())
	}
	if st := c.Stats(); st.Hits != 0 || st.Misses != 1 {
		t.Fatalf("Stats: %d hits, %d misses; the Get that missed counts as a miss", st.Hits, st.Misses)
	}
	if c.Len() != 1 || len(heard) != 0 {
		t.Fatalf("Len %d, OnEvict heard %v: the undecodable entry should be gone, unheard", c.Len(), heard)
	}
	if v, ok := c.Get("good"); !ok || v != "fine" {
		t.Fatalf("Get(good) = %q, %v", v, ok)
	}
}

func TestCacheOnEvictDecodes(t *testing.T) {
	type ev struct {
		k int
		v user
		r cache.Reason
	}
	var got []ev
	c := newCache(t, Options[int, user]{MaxBytes: 1 << 20, OnEvict: func(k int, v user, r cache.Reason) { got = append(got, ev{k, v, r}) }})
	c.Set(1, user{Name: "a"})
	c.Set(1, user{Name: "bb"})
	c.Delete(1)
	if len(got) != 2 || got[0].k != 1 || got[0].v.Name != "a" || got[0].r != cache.ReasonReplaced ||
		got[1].v.Name != "bb" || got[1].r != cache.ReasonDeleted {
		t.Fatalf("OnEvict heard %+v", got)
	}
}

func TestGetOrLoadCoalesces(t *testing.T) {
	var calls atomic.Int32
	loading, release := make(chan struct{}), make(chan struct{})
	c := newCache(t, Options[string, int]{MaxBytes: 1 << 20, Load: func(ctx context.Context, k string) (int, error) {
		if calls.Add(1) == 1 {
			close(loading)
		}
		<-release
		return len(k), nil
	}})
	const n = 20
	var wg sync.WaitGroup
	results := make([]int, n)
	started := make(chan struct{}, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			results[i], _ = c.GetOrLoad(context.Background(), "abcd", nil)
		}()
	}
	for range n {
		<-started
	}
	// Every caller has started and the load runs. Callers that reach
	// GetOrLoad after it ends hit the cache (the value is stored before
	// the load is forgotten), so in every interleaving one load serves all.
	<-loading
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("loader called %d times", calls.Load())
	}
	for i, r := range results {
		if r != 4 {
			t.Fatalf("caller %d got %d", i, r)
		}
	}
	if v, ok := c.Get("abcd"); !ok || v != 4 {
		t.Fatalf("the loaded value is not cached: %d, %v", v, ok)
	}
	if st := c.Stats(); st.LoadsSucceeded != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestGetOrLoadErrors(t *testing.T) {
	c := newCache(t, Options[string, int]{MaxBytes: 1 << 20})
	ctx := context.Background()
	if _, err := c.GetOrLoad(ctx, "k", nil); !errors.Is(err, cache.ErrNoLoader) {
		t.Fatalf("no loader: %v", err)
	}
	boom := errors.New("boom")
	if _, err := c.GetOrLoad(ctx, "k", cache.LoaderFunc[string, int](func(context.Context, string) (int, error) { return 0, boom })); !errors.Is(err, boom) {
		t.Fatalf("failing loader: %v", err)
	}
	if _, err := c.GetOrLoad(ctx, "k", cache.LoaderFunc[string, int](func(context.Context, string) (int, error) {
		return 0, fmt.Errorf("no row: %w", cache.ErrNotFound)
	})); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("not found: %v", err)
	}
	var pe *cache.PanicError
	if _, err := c.GetOrLoad(ctx, "k", cache.LoaderFunc[string, int](func(context.Context, string) (int, error) { panic("p") })); !errors.As(err, &pe) || pe.Value != "p" {
		t.Fatalf("panicking loader: %v", err)
	}
	if c.Len() != 0 {
		t.Fatalf("%d entries cached by failed loads", c.Len())
	}
	st := c.Stats()
	if st.LoadsFailed != 1 || st.LoadsSucceeded != 1 || st.LoadsPanicked != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// A Set made while a load of the same key runs wins over the load.
func TestSetDuringLoadWins(t *testing.T) {
	c := newCache(t, Options[string, string]{MaxBytes: 1 << 20})
	loaded, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
		if err := c.Set("k", "written"); err != nil {
			return "", err
		}
		return "loaded", nil
	}))
	if err != nil || loaded != "loaded" {
		t.Fatalf("GetOrLoad = %q, %v", loaded, err)
	}
	if v, _ := c.Get("k"); v != "written" {
		t.Fatalf("cached %q, want the write made during the load", v)
	}
}

// Close cancels a load's context and releases its callers with ErrClosed
// at once, even when the loader ignores its context; what the loader
// returns later is not stored. A loader may call Close itself.
func TestCloseCancelsLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(Options[string, int]{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		cause := make(chan error, 1)
		got := make(chan error, 1)
		go func() {
			_, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, int](func(ctx context.Context, _ string) (int, error) {
				<-ctx.Done()
				cause <- context.Cause(ctx)
				<-release // and ignores it for a while
				return 1, nil
			}))
			got <- err
		}()
		synctest.Wait() // the loader is running
		c.Close()       // returns although the loader has not
		if err := <-got; !errors.Is(err, cache.ErrClosed) {
			t.Fatalf("GetOrLoad waiting on a load Close cancelled = %v, want ErrClosed", err)
		}
		if err := <-cause; !errors.Is(err, cache.ErrClosed) {
			t.Fatalf("the load's context ended with %v", err)
		}
		close(release)
		synctest.Wait() // the loader has returned
		if _, ok := c.Get("k"); ok || c.Len() != 0 {
			t.Fatalf("a load that returned after Close stored its value (Len %d)", c.Len())
		}
		if err := c.Set("k", 1); !errors.Is(err, cache.ErrClosed) {
			t.Fatalf("Set after Close = %v", err)
		}
		if _, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, int](func(context.Context, string) (int, error) { return 1, nil })); !errors.Is(err, cache.ErrClosed) {
			t.Fatalf("GetOrLoad after Close = %v", err)
		}
	})
}

func TestLoaderMayClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(Options[string, int]{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, int](func(ctx context.Context, _ string) (int, error) {
			c.Close()
			return 1, nil
		}))
		if err != nil && !errors.Is(err, cache.ErrClosed) {
			t.Fatalf("GetOrLoad whose loader closed the cache = %v", err)
		}
		if c.Len() != 0 {
			t.Fatalf("Len %d after a loader closed the cache", c.Len())
		}
	})
}

func TestCallerContextEndsItsWait(t *testing.T) {
	c := newCache(t, Options[string, int]{MaxBytes: 1 << 20})
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetOrLoad(ctx, "k", cache.LoaderFunc[string, int](func(context.Context, string) (int, error) {
		<-release
		return 1, nil
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("GetOrLoad with a cancelled context = %v", err)
	}
}

func TestCacheConcurrentReadsSeeWholeValues(t *testing.T) {
	c := newCache(t, Options[int, user]{MaxBytes: 256 << 10, Shards: 4})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				k := (i*7 + g) % 300
				switch i % 5 {
				case 0:
					c.Set(k, user{ID: k, Name: fmt.Sprint("user", k), Roles: make([]string, k%4)})
				case 1:
					c.Delete(k)
				default:
					if u, ok := c.Get(k); ok && (u.ID != k || u.Name != fmt.Sprint("user", k) || len(u.Roles) != k%4) {
						errs <- fmt.Errorf("Get(%d) = %+v", k, u)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
