package multilevel

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache/codec"
)

// A failing store never costs the caller an error: reads go on to the
// loader, the breaker opens after Failures consecutive errors and the
// store is then left alone until probes find it healthy again.
func TestBreakerShieldsReadsFromAFailingStore(t *testing.T) {
	clk := newFakeClock()
	ms := newMemory(t, clk)
	spy := &spyStore{Store: ms}
	var ld loadCounter
	o := Options[string, string]{Store: spy, Namespace: "ns", Load: ld.load,
		Breaker: BreakerOptions{Failures: 3, OpenFor: time.Second, Probes: 3}}
	o.L1.Clock = clk
	c := mustNew(t, o)

	spy.fail.Store(true)
	for i := range 3 {
		mustGet(t, c, fmt.Sprint("a", i), fmt.Sprint("v:a", i))
	}
	if st := c.Stats(); st.Breaker != BreakerOpen || st.L2.Errors != 3 || st.L2.BreakerOpened != 1 {
		t.Fatalf("after 3 failures: breaker %v, %d errors, opened %d", st.Breaker, st.L2.Errors, st.L2.BreakerOpened)
	}
	if spy.sets.Load() != 0 {
		t.Fatal("wrote back to a store whose read had failed")
	}

	callsBefore := spy.gets.Load()
	for i := range 100 {
		mustGet(t, c, fmt.Sprint("b", i), fmt.Sprint("v:b", i))
	}
	if spy.gets.Load() != callsBefore {
		t.Fatalf("an open breaker let %d calls through", spy.gets.Load()-callsBefore)
	}
	if st := c.Stats(); st.L2.Rejected != 100 || st.Origin.Loads != 103 {
		t.Fatalf("stats %+v", st)
	}

	// Still down when the first probe goes: open again.
	clk.Advance(time.Second)
	mustGet(t, c, "c0", "v:c0")
	if st := c.Stats(); st.Breaker != BreakerOpen || st.L2.BreakerOpened != 2 {
		t.Fatalf("after a failed probe: %v, opened %d", st.Breaker, st.L2.BreakerOpened)
	}

	// Healed: three good probes close it, and reads use the store again.
	// A miss makes two calls, the read and the write-back.
	spy.fail.Store(false)
	clk.Advance(time.Second)
	mustGet(t, c, "c1", "v:c1")
	if st := c.Stats().Breaker; st != BreakerHalfOpen {
		t.Fatalf("after two good probes: %v, want BreakerHalfOpen", st)
	}
	mustGet(t, c, "c2", "v:c2")
	if st := c.Stats().Breaker; st != BreakerClosed {
		t.Fatalf("after three good probes: %v, want BreakerClosed", st)
	}
	writes := c.Stats().L2.Writes
	mustGet(t, c, "c3", "v:c3")
	if c.Stats().L2.Writes != writes+1 {
		t.Fatal("no write-back once the breaker closed")
	}
}

// A store that hangs costs each call Options.Timeout, until the breaker
// opens; then nothing. Time is synthetic: the test takes no wall time.
func TestHangingStoreIsCutOffByTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := newMemory(t, nil)
		spy := &spyStore{Store: ms}
		spy.hang.Store(true)
		var ld loadCounter
		c := mustNew(t, Options[string, string]{Store: spy, Namespace: "ns", Load: ld.load,
			Timeout: 20 * time.Millisecond, Breaker: BreakerOptions{Failures: 2}})

		start := time.Now()
		mustGet(t, c, "a", "v:a")
		if took := time.Since(start); took != 20*time.Millisecond {
			t.Fatalf("a read of a hanging store took %v, want the 20ms timeout", took)
		}
		mustGet(t, c, "b", "v:b") // second failure: open
		start = time.Now()
		for i := range 50 {
			mustGet(t, c, fmt.Sprint(i), fmt.Sprint("v:", i))
		}
		if took := time.Since(start); took != 0 {
			t.Fatalf("50 reads with the breaker open took %v, want no time", took)
		}
		if st := c.Stats(); st.Breaker != BreakerOpen || st.L2.Rejected != 50 {
			t.Fatalf("stats %+v", st)
		}

		// Writes fail fast while it is open, keeping the local value.
		err := c.Set(context.Background(), "w", "local")
		if !errors.Is(err, ErrStoreUnavailable) {
			t.Fatalf("Set with the breaker open = %v, want ErrStoreUnavailable", err)
		}
		mustGet(t, c, "w", "local")
		if st := c.Stats().Invalidation; st.Sent != 0 {
			t.Fatal("published a write that never reached the store")
		}
	})
}

// A caller giving up is not the store's fault: it must not open the
// breaker.
func TestCallerCancellationDoesNotTripTheBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := newMemory(t, nil)
		spy := &spyStore{Store: ms}
		spy.hang.Store(true)
		c := mustNew(t, Options[string, string]{Store: spy, Namespace: "ns",
			Timeout: time.Hour, Breaker: BreakerOptions{Failures: 1}})
		for i := range 5 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			err := c.Set(ctx, fmt.Sprint(i), "v")
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Set = %v, want the caller's deadline", err)
			}
		}
		if st := c.Stats(); st.Breaker != BreakerClosed {
			t.Fatalf("breaker %v after caller cancellations, want BreakerClosed", st.Breaker)
		}
	})
}

func TestWritesReportStoreFailures(t *testing.T) {
	ms := newMemory(t, nil)
	spy := &spyStore{Store: ms}
	c := mustNew(t, Options[string, string]{Store: spy, Namespace: "ns",
		Breaker: BreakerOptions{Disabled: true}})
	ctx := context.Background()
	if err := c.Set(ctx, "k", "before"); err != nil {
		t.Fatal(err)
	}
	spy.fail.Store(true)
	if err := c.Set(ctx, "k", "after"); !errors.Is(err, errDown) {
		t.Fatalf("Set = %v, want the store's error", err)
	}
	mustGet(t, c, "k", "after") // the local tier has the write
	if err := c.Delete(ctx, "k"); !errors.Is(err, errDown) {
		t.Fatalf("Delete = %v, want the store's error", err)
	}
	if _, ok := c.c.l1.Peek("k"); ok {
		t.Fatal("Delete left the key in the L1")
	}
	if st := c.Stats(); st.Breaker != BreakerNone || st.L2.Errors != 2 || st.Invalidation.Sent != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestEncodeErrors(t *testing.T) {
	ms := newMemory(t, nil)
	type bad struct{ C chan int } // no codec can encode a channel
	c := mustNew(t, Options[string, bad]{Store: ms, Namespace: "ns", Format: codec.FormatJSON,
		Load: func(context.Context, string) (bad, error) { return bad{C: make(chan int)}, nil }})
	if err := c.Set(context.Background(), "k", bad{}); err == nil {
		t.Fatal("Set of an unencodable value succeeded")
	}
	if _, err := c.Get(context.Background(), "k"); err != nil {
		t.Fatalf("Get = %v; an unencodable load is still a value for the L1", err)
	}
	if st := c.Stats().L2; st.EncodeErrors != 2 || st.Writes != 0 {
		t.Fatalf("stats %+v", st)
	}
}
