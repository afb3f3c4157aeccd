package bytecache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

// hookCodec is the default codec, but the first time it encodes the value
// when it calls hook first: a test's way to land a write at the moment a
// load encodes its value, after the loader returned and before the store.
type hookCodec struct {
	codec.Codec[string]
	when string
	hook func()
}

func (h *hookCodec) Marshal(v string) ([]byte, error) {
	if hook := h.hook; v == h.when && hook != nil {
		h.hook = nil
		hook()
	}
	return h.Codec.Marshal(v)
}

// writes are the ways a caller can overtake a load of "k", each with the
// value "k" must hold afterwards ("" for none).
var writes = []struct {
	name  string
	write func(c *Cache[string, string])
	want  string
}{
	{"Set", func(c *Cache[string, string]) { c.Set("k", "written") }, "written"},
	{"Delete", func(c *Cache[string, string]) { c.Delete("k") }, ""},
	{"SetWithTTL<0", func(c *Cache[string, string]) { c.SetWithTTL("k", "gone", -1) }, ""},
	{"Clear", func(c *Cache[string, string]) { c.Clear() }, ""},
}

func holds(c *Cache[string, string], key string) string {
	v, ok := c.Get(key)
	if ok && v == "" {
		return "(empty)"
	}
	return v
}

// A write of the key that lands after the loader returned, while the load
// prepares to store its value, still wins: the value is returned to the
// callers but not stored over the write.
func TestWriteLandingAsLoadStoresWins(t *testing.T) {
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			hc := &hookCodec{Codec: codec.Default[string](), when: "loaded"}
			c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: hc})
			hc.hook = func() { w.write(c) }
			v, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
				return "loaded", nil
			}))
			if v != "loaded" || err != nil {
				t.Fatalf("GetOrLoad = %q, %v; want the loaded value", v, err)
			}
			if hc.hook != nil {
				t.Fatal("the load never encoded its value")
			}
			if got := holds(c, "k"); got != w.want {
				t.Fatalf("after a %s landing as the load stored, k holds %q; want %q", w.name, got, w.want)
			}
		})
	}
}

// Every write that starts after a load began wins over it, however the two
// interleave: rounds of a load released at the moment a write starts. Run
// it with and without -race; the schedules differ.
func TestWriteRacingLoadEndWins(t *testing.T) {
	rounds := 1000
	if testing.Short() {
		rounds = 100
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			c := newCache(t, Options[string, string]{MaxBytes: 1 << 20, Codec: codec.Raw[string]()})
			for i := range rounds {
				started, release := make(chan struct{}), make(chan struct{})
				loaded := make(chan error, 1)
				go func() {
					v, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
						close(started)
						<-release
						return "loaded", nil
					}))
					if err == nil && v != "loaded" {
						err = fmt.Errorf("GetOrLoad = %q", v)
					}
					loaded <- err
				}()
				<-started
				var wg sync.WaitGroup
				wg.Go(func() { w.write(c) })
				close(release)
				wg.Wait()
				if err := <-loaded; err != nil {
					t.Fatalf("round %d: %v", i, err)
				}
				if got := holds(c, "k"); got != w.want {
					t.Fatalf("round %d: after a %s during the load, k holds %q; want %q", i, w.name, got, w.want)
				}
				c.Delete("k")
			}
		})
	}
}

// A miss after a write that overtook a load starts a load of its own: it
// is not handed the overtaken load's value, which may predate the write.
func TestMissAfterWriteDuringLoadLoadsAgain(t *testing.T) {
	for _, w := range writes {
		if w.want != "" {
			continue // the write leaves a value: the next GetOrLoad hits it
		}
		t.Run(w.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCache(t, Options[string, string]{MaxBytes: 1 << 20})
				release := make(chan struct{})
				first := make(chan string, 1)
				go func() {
					v, _ := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
						<-release
						return "before the write", nil
					}))
					first <- v
				}()
				synctest.Wait() // the first load runs
				w.write(c)
				v, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
					return "after the write", nil
				}))
				if v != "after the write" || err != nil {
					t.Errorf("GetOrLoad after a %s = %q, %v; want a load of its own", w.name, v, err)
				}
				close(release)
				if v := <-first; v != "before the write" {
					t.Errorf("the overtaken load returned %q to its caller", v)
				}
				if got := holds(c, "k"); got != "after the write" {
					t.Errorf("k holds %q; want the second load's value", got)
				}
			})
		})
	}
}

// A load's store may evict, and OnEvict, run on the load's goroutine once
// the waiters are released, may write to the cache while other loads are
// in flight: the load holds no lock of the cache's by then.
func TestOnEvictOfLoadStoreMayWrite(t *testing.T) {
	evicted := make(chan string, 16)
	var armed atomic.Bool
	var c *Cache[string, string]
	c = newCache(t, Options[string, string]{MaxBytes: 4 << 10, Shards: 1, Codec: codec.Raw[string](),
		OnEvict: func(key, _ string, r cache.Reason) {
			if armed.Load() && r == cache.ReasonCapacity {
				c.Delete(key) // overtakes loads: takes the loads' lock
				select {
				case evicted <- key:
				default:
				}
			}
		}})
	for i := 0; c.Stats().Removed[cache.ReasonCapacity] == 0; i++ {
		c.Set(fmt.Sprintf("fill%04d", i), "12345678") // full: one more evicts one
	}
	started, release := make(chan struct{}), make(chan struct{})
	other := make(chan error, 1)
	go func() {
		_, err := c.GetOrLoad(context.Background(), "other", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
			close(started)
			<-release
			return "o", nil
		}))
		other <- err
	}()
	<-started
	armed.Store(true)
	v, err := c.GetOrLoad(context.Background(), "load0000", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
		return "12345678", nil
	}))
	if v != "12345678" || err != nil {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	k := <-evicted // blocks for good if OnEvict deadlocked
	if _, ok := c.Get(k); ok || !strings.HasPrefix(k, "fill") {
		t.Fatalf("evicted %q, still there: %v", k, ok)
	}
	close(release)
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if got := holds(c, "load0000"); got != "12345678" {
		t.Fatalf("the load stored %q", got)
	}
}

// A Set that lands after GetOrLoad missed but before a load registered is
// found by GetOrLoad's second look, under the loads' lock: no load runs,
// and the caller gets the Set's value. (GetOrLoad encodes the key twice,
// for Get and then for the load; the Set lands at the second.)
func TestSetBeforeLoadRegistersIsKept(t *testing.T) {
	var c *Cache[string, string]
	encodes := 0
	c = newCache(t, Options[string, string]{MaxBytes: 1 << 20,
		EncodeKey: func(k string) string {
			if encodes++; encodes == 2 {
				c.Set(k, "written")
			}
			return k
		}})
	loads := 0
	v, err := c.GetOrLoad(context.Background(), "k", cache.LoaderFunc[string, string](func(context.Context, string) (string, error) {
		loads++
		return "loaded", nil
	}))
	if err != nil || v != "written" || loads != 0 {
		t.Fatalf("GetOrLoad = %q, %v after %d loads; want the Set's value and no load", v, err, loads)
	}
	if encodes < 3 {
		t.Fatalf("%d key encodings: the Set did not run within GetOrLoad", encodes)
	}
	if got := holds(c, "k"); got != "written" {
		t.Fatalf("k holds %q; want the Set's value", got)
	}
}
