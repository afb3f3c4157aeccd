package multilevel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

func TestReadThroughFillsBothLevels(t *testing.T) {
	ms := newMemory(t, nil)
	spy := &spyStore{Store: ms}
	var ld loadCounter
	a := mustNew(t, Options[string, string]{Store: spy, Bus: ms, Namespace: "users", Load: ld.load})

	mustGet(t, a, "k", "v:k") // both levels miss: load, write back
	if ld.calls.Load() != 1 || spy.gets.Load() != 1 || spy.sets.Load() != 1 {
		t.Fatalf("first Get: %d loads, %d store gets, %d store sets; want 1, 1, 1", ld.calls.Load(), spy.gets.Load(), spy.sets.Load())
	}
	raw, err := ms.Get(context.Background(), "users:k")
	if err != nil {
		t.Fatalf("store has no users:k after the load: %v", err)
	}
	if v, err := codec.Msgpack[string]().Unmarshal(raw); err != nil || v != "v:k" {
		t.Fatalf("store holds %q (%v), want msgpack of v:k", v, err)
	}

	mustGet(t, a, "k", "v:k") // L1 hit
	if ld.calls.Load() != 1 || spy.gets.Load() != 1 {
		t.Fatal("an L1 hit reached the store or the loader")
	}

	// A second instance on the same store finds the value in L2.
	var ld2 loadCounter
	b := mustNew(t, Options[string, string]{Store: spy, Bus: ms, Namespace: "users", Load: ld2.load})
	mustGet(t, b, "k", "v:k")
	if ld2.calls.Load() != 0 || spy.gets.Load() != 2 {
		t.Fatalf("second instance: %d loads, %d store gets; want 0, 2", ld2.calls.Load(), spy.gets.Load())
	}

	st := b.Stats()
	if st.L2.Hits != 1 || st.L2.Misses != 0 || st.L1.Misses != 1 || st.Origin.Loads != 0 {
		t.Fatalf("b stats %+v", st)
	}
	st = a.Stats()
	if st.L1.Hits != 1 || st.L1.Misses != 1 || st.L2.Misses != 1 || st.L2.Writes != 1 || st.Origin.Loads != 1 {
		t.Fatalf("a stats %+v", st)
	}
}

func TestWriteThroughAndDelete(t *testing.T) {
	ms := newMemory(t, nil)
	var ld loadCounter
	c := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: ld.load})
	ctx := context.Background()

	if err := c.Set(ctx, "k", "written"); err != nil {
		t.Fatal(err)
	}
	raw, err := ms.Get(ctx, "ns:k")
	if err != nil {
		t.Fatalf("Set did not reach the store: %v", err)
	}
	if v, _ := codec.Msgpack[string]().Unmarshal(raw); v != "written" {
		t.Fatalf("store holds %q", v)
	}
	mustGet(t, c, "k", "written")
	if ld.calls.Load() != 0 {
		t.Fatal("Get after Set loaded")
	}

	if err := c.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.Get(ctx, "ns:k"); !errors.Is(err, ErrMiss) {
		t.Fatalf("store Get after Delete: %v, want ErrMiss", err)
	}
	mustGet(t, c, "k", "v:k") // gone from both levels: loaded again
	if ld.calls.Load() != 1 {
		t.Fatalf("%d loads after Delete, want 1", ld.calls.Load())
	}
}

func TestStoreTTLs(t *testing.T) {
	clk := newFakeClock()
	ms := newMemory(t, clk)
	var ld loadCounter
	o := Options[string, string]{Store: ms, Namespace: "ns", Load: ld.load, L2TTL: time.Hour}
	o.L1.TTL = time.Minute
	o.L1.Clock = clk
	c := mustNew(t, o)

	mustGet(t, c, "k", "v:k")
	clk.Advance(time.Minute) // L1 expired, L2 still live
	mustGet(t, c, "k", "v:k")
	if st := c.Stats(); ld.calls.Load() != 1 || st.L2.Hits != 1 {
		t.Fatalf("after the L1 TTL: %d loads, %d L2 hits; want 1, 1", ld.calls.Load(), st.L2.Hits)
	}
	clk.Advance(time.Hour) // both expired
	mustGet(t, c, "k", "v:k")
	if ld.calls.Load() != 2 {
		t.Fatalf("after the L2 TTL: %d loads, want 2", ld.calls.Load())
	}
}

func TestNoLoaderMeansNotFound(t *testing.T) {
	c := mustNew(t, Options[string, string]{})
	if _, err := c.Get(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get without loader = %v, want ErrNotFound", err)
	}
	if err := c.Set(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, c, "k", "v")
}

func TestLoaderErrorsReachTheCallerAndAreNotCached(t *testing.T) {
	ms := newMemory(t, nil)
	spy := &spyStore{Store: ms}
	boom := errors.New("database down")
	calls := 0
	c := mustNew(t, Options[string, string]{Store: spy, Namespace: "ns",
		Load: func(_ context.Context, k string) (string, error) {
			calls++
			switch calls {
			case 1:
				return "", boom
			case 2:
				return "", fmt.Errorf("no row for %s: %w", k, ErrNotFound)
			case 3:
				panic("loader bug")
			}
			return "ok", nil
		}})
	ctx := context.Background()
	if _, err := c.Get(ctx, "k"); !errors.Is(err, boom) {
		t.Fatalf("Get = %v, want the loader's error", err)
	}
	if _, err := c.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
	var pe *cache.PanicError
	if _, err := c.Get(ctx, "k"); !errors.As(err, &pe) || pe.Value != "loader bug" {
		t.Fatalf("Get = %v, want a *cache.PanicError", err)
	}
	if spy.sets.Load() != 0 {
		t.Fatal("a failed load was written to the store")
	}
	mustGet(t, c, "k", "ok")
	if st := c.Stats().Origin; st.Loads != 4 || st.Errors != 2 || st.NotFound != 1 {
		t.Fatalf("origin stats %+v, want 4 loads, 2 errors, 1 not found", st)
	}
}

// 100 goroutines miss on one key together: one store read, one load, and
// every one of them gets the value.
func TestConcurrentMissesCoalesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := newMemory(t, nil)
		spy := &spyStore{Store: ms}
		release := make(chan struct{})
		var loads int
		c := mustNew(t, Options[string, string]{Store: spy, Namespace: "ns",
			Load: func(_ context.Context, k string) (string, error) {
				loads++
				<-release
				return "v:" + k, nil
			}})

		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				v, err := c.Get(context.Background(), "hot")
				if err == nil && v != "v:hot" {
					err = fmt.Errorf("got %q", v)
				}
				errs <- err
			})
		}
		synctest.Wait() // all 100 are waiting, the load is blocked
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if loads != 1 || spy.gets.Load() != 1 || spy.sets.Load() != 1 {
			t.Fatalf("%d loads, %d store reads, %d store writes; want 1 each", loads, spy.gets.Load(), spy.sets.Load())
		}
		if st := c.Stats(); st.L1.Misses != 100 || st.L1.Loads() != 1 {
			t.Fatalf("L1 stats %+v: want 100 misses sharing 1 load", st.L1)
		}
	})
}

// Bytes in the store that do not decode are a miss: the value is loaded
// again and overwritten, and the failure counted.
func TestUndecodableBytesAreReloadedAndOverwritten(t *testing.T) {
	ms := newMemory(t, nil)
	ctx := context.Background()
	jsonBytes, _ := codec.JSON[string]().Marshal("json, not msgpack")
	planted := map[string][]byte{
		"garbage":  []byte("\x00\x01 definitely not a value"),
		"empty":    {},
		"format":   jsonBytes,                                                                           // another codec wrote it
		"truncate": append(codec.AppendHeader(nil, codec.FormatMsgpack, codec.TypeOf[string](0)), 0xDA), // cut body
	}
	for k, b := range planted {
		if err := ms.Set(ctx, "ns:"+k, b, 0); err != nil {
			t.Fatal(err)
		}
	}
	var ld loadCounter
	c := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: ld.load})
	for k := range planted {
		mustGet(t, c, k, "v:"+k)
		raw, err := ms.Get(ctx, "ns:"+k)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := codec.Msgpack[string]().Unmarshal(raw); err != nil || v != "v:"+k {
			t.Fatalf("%s: store holds %q after the reload (%v)", k, raw, err)
		}
	}
	st := c.Stats()
	if st.L2.DecodeErrors != 4 || st.Origin.Loads != 4 || st.L2.Writes != 4 || st.L2.Hits != 0 {
		t.Fatalf("stats %+v: want 4 decode errors, loads and writes, no hits", st.L2)
	}
}

func TestUndecodableBytesWithoutLoaderAreDropped(t *testing.T) {
	ms := newMemory(t, nil)
	ctx := context.Background()
	if err := ms.Set(ctx, "ns:k", []byte("junk"), 0); err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns"})
	if _, err := c.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
	if _, err := ms.Get(ctx, "ns:k"); !errors.Is(err, ErrMiss) {
		t.Fatal("undecodable bytes were left in the store")
	}
}

// A user's Unmarshal that panics on bad bytes is a decode failure too.
func TestPanickingUnmarshalIsADecodeFailure(t *testing.T) {
	ms := newMemory(t, nil)
	ctx := context.Background()
	if err := ms.Set(ctx, "ns:k", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	var ld loadCounter
	c := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: ld.load,
		Marshal: func(v string) ([]byte, error) { return []byte("ok" + v), nil },
		Unmarshal: func(b []byte) (string, error) {
			if len(b) < 2 || string(b[:2]) != "ok" {
				panic("bad bytes")
			}
			return string(b[2:]), nil
		}})
	mustGet(t, c, "k", "v:k")
	if st := c.Stats().L2; st.DecodeErrors != 1 || st.Writes != 1 {
		t.Fatalf("stats %+v", st)
	}
	raw, _ := ms.Get(ctx, "ns:k")
	if string(raw) != "okv:k" {
		t.Fatalf("store holds %q", raw)
	}
}

func TestFormats(t *testing.T) {
	type HTML string
	ctx := context.Background()
	ms := newMemory(t, nil)

	h := mustNew(t, Options[string, HTML]{Store: ms, Namespace: "html", Format: codec.FormatRaw})
	if err := h.Set(ctx, "page", "<p>hi</p>"); err != nil {
		t.Fatal(err)
	}
	raw, _ := ms.Get(ctx, "html:page")
	if f, err := codec.Detect(raw); err != nil || f != codec.FormatRaw || string(body(t, raw)) != "<p>hi</p>" {
		t.Fatalf("raw store bytes %q (%v, %v)", raw, f, err)
	}
	h2 := mustNew(t, Options[string, HTML]{Store: ms, Namespace: "html", Format: codec.FormatRaw})
	mustGet(t, h2, "page", HTML("<p>hi</p>"))

	type user struct{ Name string }
	j := mustNew(t, Options[int, user]{Store: ms, Namespace: "users", Format: codec.FormatJSON})
	if err := j.Set(ctx, 7, user{"Ada"}); err != nil {
		t.Fatal(err)
	}
	raw, _ = ms.Get(ctx, "users:7")
	if string(body(t, raw)) != `{"Name":"Ada"}` {
		t.Fatalf("json store bytes %q", raw)
	}

	b := mustNew(t, Options[string, []byte]{Format: codec.FormatRaw})
	if err := b.Set(ctx, "x", []byte("bytes")); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "x"); err != nil || string(v) != "bytes" {
		t.Fatalf("Get = %q, %v", v, err)
	}

	if _, err := New(Options[string, int]{Format: codec.FormatRaw}); err == nil {
		t.Fatal("raw format accepted for int values")
	}
}

func TestCloseEndsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := newMemory(t, nil)
		started := make(chan struct{})
		c, err := New(Options[string, string]{Store: ms, Namespace: "ns",
			Load: func(ctx context.Context, _ string) (string, error) {
				close(started)
				<-ctx.Done() // a slow load, cut short by Close
				return "", context.Cause(ctx)
			}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		got := make(chan error, 1)
		go func() {
			_, err := c.Get(ctx, "slow")
			got <- err
		}()
		<-started
		c.Close()
		if err := <-got; !errors.Is(err, ErrClosed) {
			t.Fatalf("Get waiting across Close = %v, want ErrClosed", err)
		}
		if _, err := c.Get(ctx, "k"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Get after Close = %v", err)
		}
		if err := c.Set(ctx, "k", "v"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Set after Close = %v", err)
		}
		if err := c.Delete(ctx, "k"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Delete after Close = %v", err)
		}
		c.Close() // idempotent
		// synctest.Test fails if any goroutine of the bubble is left.
	})
}

// A given L1 is used as is, and left open by Close.
func TestGivenL1(t *testing.T) {
	l1 := cache.Must(cache.New(cache.Options[string, string]{MaxEntries: 10}))
	defer l1.Close()
	var ld loadCounter
	c, err := New(Options[string, string]{L1Cache: l1, Load: ld.load})
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, c, "k", "v:k")
	if v, ok := l1.Get("k"); !ok || v != "v:k" {
		t.Fatal("the given L1 does not hold the loaded value")
	}
	c.Close()
	if _, ok := l1.Get("k"); !ok {
		t.Fatal("Close cleared or closed the given L1")
	}
	if _, err := c.Get(context.Background(), "k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v, want ErrClosed even on an L1 hit", err)
	}
}

// A load that overlaps a write of its key, here or on another instance,
// must not write its older value back over the write in the store.
func TestLoadsDoNotWriteBackOverConcurrentWrites(t *testing.T) {
	for _, via := range []string{"local Set", "local Delete", "invalidation"} {
		t.Run(via, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ms := newMemory(t, nil)
				bus := &fakeBus{}
				started, release := make(chan struct{}), make(chan struct{})
				c := mustNew(t, Options[string, string]{Store: ms, Bus: bus, Namespace: "ns",
					Load: func(context.Context, string) (string, error) {
						close(started)
						<-release
						return "loaded before the write", nil
					}})
				ctx := context.Background()
				got := make(chan string, 1)
				go func() {
					v, _ := c.Get(ctx, "k")
					got <- v
				}()
				<-started
				switch via {
				case "local Set":
					if err := c.Set(ctx, "k", "written"); err != nil {
						t.Fatal(err)
					}
				case "local Delete":
					if err := c.Delete(ctx, "k"); err != nil {
						t.Fatal(err)
					}
				case "invalidation":
					if err := ms.Set(ctx, "ns:k", mustMarshal(t, "written elsewhere"), 0); err != nil {
						t.Fatal(err)
					}
					bus.subscriber().Message(Message{Namespace: "ns", Key: "ns:k", Sender: "other"})
				}
				close(release)
				if v := <-got; v != "loaded before the write" {
					t.Fatalf("the waiting Get got %q", v)
				}
				raw, err := ms.Get(ctx, "ns:k")
				switch via {
				case "local Delete":
					if !errors.Is(err, ErrMiss) {
						t.Fatalf("store holds %q after Delete during a load", raw)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					if v, _ := codec.Msgpack[string]().Unmarshal(raw); v == "loaded before the write" {
						t.Fatal("the load wrote its value back over the write")
					}
				}
				if _, ok := c.c.l1.Peek("k"); ok && via != "local Set" {
					t.Fatal("the superseded load was stored in the L1")
				}
			})
		})
	}
}

func mustMarshal(t *testing.T, v string) []byte {
	t.Helper()
	b, err := codec.Msgpack[string]().Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
