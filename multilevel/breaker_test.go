package multilevel

import (
	"sync"
	"testing"
	"time"
)

func newTestBreaker(clk *fakeClock, o BreakerOptions) *breaker { return newBreaker(o, clk.Now) }

// brCall runs one call through b with the given outcome and reports whether
// it was allowed.
func brCall(b *breaker, o brOutcome) bool {
	t, ok := b.Allow()
	if ok {
		b.Done(t, o)
	}
	return ok
}

func TestConsecutiveFailuresOpenIt(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 3, MinCalls: 1000})
	brCall(b, brFailure)
	brCall(b, brFailure)
	brCall(b, brSuccess) // breaks the streak
	brCall(b, brFailure)
	brCall(b, brFailure)
	if b.state() != BreakerClosed {
		t.Fatalf("state %v after a broken streak, want closed", b.state())
	}
	brCall(b, brFailure)
	if b.state() != BreakerOpen || b.Opened() != 1 {
		t.Fatalf("state %v, opened %d after 3 consecutive failures; want open, 1", b.state(), b.Opened())
	}
	if brCall(b, brSuccess) {
		t.Fatal("an open breaker allowed a call")
	}
}

func TestFailureRatioOpensIt(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 100, Ratio: 0.5, MinCalls: 10, Window: time.Minute})
	// Alternate: never two failures in a row, but half of all calls fail.
	for i := range 9 {
		o := brSuccess
		if i%2 == 0 {
			o = brFailure
		}
		brCall(b, o)
	}
	if b.state() != BreakerClosed {
		t.Fatalf("state %v before MinCalls, want closed", b.state())
	}
	brCall(b, brFailure) // 10 calls, 6 failures
	if b.state() != BreakerOpen {
		t.Fatalf("state %v at 60%% failures over 10 calls, want open", b.state())
	}
}

func TestRatioCountsPerWindow(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 100, Ratio: 0.5, MinCalls: 10, Window: time.Second})
	for range 8 {
		brCall(b, brSuccess)
	}
	for range 5 {
		brCall(b, brFailure) // 5 of 13: below half
	}
	clk.Advance(time.Second) // a new window forgets the successes
	for range 4 {
		brCall(b, brSuccess)
	}
	for range 5 {
		brCall(b, brFailure) // the streak continues; 5 of 9 is under MinCalls
	}
	if b.state() != BreakerClosed {
		t.Fatalf("state %v, want closed", b.state())
	}
	brCall(b, brFailure) // 6 of 10
	if b.state() != BreakerOpen {
		t.Fatalf("state %v, want open", b.state())
	}
}

func TestHalfOpenProbesCloseIt(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 1, OpenFor: time.Second, Probes: 2})
	brCall(b, brFailure)
	clk.Advance(999 * time.Millisecond)
	if brCall(b, brSuccess) {
		t.Fatal("allowed a call before OpenFor passed")
	}
	clk.Advance(time.Millisecond)

	probe, ok := b.Allow()
	if !ok || b.state() != BreakerHalfOpen {
		t.Fatalf("Allow after OpenFor = %v in state %v; want a probe in HalfOpen", ok, b.state())
	}
	if _, ok := b.Allow(); ok {
		t.Fatal("allowed a second call while a probe is in flight")
	}
	b.Done(probe, brSuccess)
	if b.state() != BreakerHalfOpen {
		t.Fatalf("state %v after one of two probes, want half_open", b.state())
	}
	if !brCall(b, brSuccess) {
		t.Fatal("second probe refused")
	}
	if b.state() != BreakerClosed {
		t.Fatalf("state %v after two good probes, want closed", b.state())
	}
	// Closed again with a clean slate: one failure opens it (Failures 1).
	brCall(b, brFailure)
	if b.state() != BreakerOpen || b.Opened() != 2 {
		t.Fatalf("state %v, opened %d; want open, 2", b.state(), b.Opened())
	}
}

// dueForProbe returns a breaker that opens on one failure and closes on
// one good probe, opened once and now at the end of its open period.
func dueForProbe(clk *fakeClock) *breaker {
	b := newTestBreaker(clk, BreakerOptions{Failures: 1, OpenFor: time.Second, Probes: 1})
	brCall(b, brFailure)
	clk.Advance(time.Second)
	return b
}

func TestFailedProbeReopensIt(t *testing.T) {
	clk := newFakeClock()
	b := dueForProbe(clk)
	if !brCall(b, brFailure) {
		t.Fatal("probe refused")
	}
	if b.state() != BreakerOpen || b.Opened() != 2 {
		t.Fatalf("state %v, opened %d after a failed probe; want open, 2", b.state(), b.Opened())
	}
	// The new open period starts at the failed probe.
	clk.Advance(time.Second - 1)
	if brCall(b, brSuccess) {
		t.Fatal("allowed a call inside the new open period")
	}
	clk.Advance(1)
	if !brCall(b, brSuccess) || b.state() != BreakerClosed {
		t.Fatalf("state %v after a good probe, want closed", b.state())
	}
}

func TestIgnoredProbeFreesTheSlot(t *testing.T) {
	clk := newFakeClock()
	b := dueForProbe(clk)
	if !brCall(b, brIgnored) {
		t.Fatal("probe refused")
	}
	if b.state() != BreakerHalfOpen {
		t.Fatalf("state %v after an ignored probe, want half_open", b.state())
	}
	if !brCall(b, brSuccess) || b.state() != BreakerClosed {
		t.Fatalf("state %v, want closed", b.state())
	}
}

func TestIgnoredCallsDoNotCount(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 2, Ratio: 0.5, MinCalls: 2})
	brCall(b, brFailure)
	for range 100 {
		brCall(b, brIgnored)
	}
	if b.state() != BreakerClosed {
		t.Fatalf("state %v, want closed", b.state())
	}
	brCall(b, brFailure)
	if b.state() != BreakerOpen {
		t.Fatalf("state %v, want open: ignored calls must not break the streak", b.state())
	}
}

func TestStaleOutcomesAreDropped(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 1, OpenFor: time.Second, Probes: 1})
	slow, _ := b.Allow() // allowed while closed, answers late
	brCall(b, brFailure) // opens
	clk.Advance(time.Second)
	probe, ok := b.Allow()
	if !ok {
		t.Fatal("probe refused")
	}
	b.Done(slow, brSuccess) // from before the outage: must not close it
	if b.state() != BreakerHalfOpen {
		t.Fatalf("state %v after a stale success, want half_open", b.state())
	}
	b.Done(probe, brFailure)
	if b.state() != BreakerOpen {
		t.Fatalf("state %v, want open", b.state())
	}
}

func TestDefaults(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{})
	for range defaultBreakerFailures - 1 {
		brCall(b, brFailure)
	}
	if b.state() != BreakerClosed {
		t.Fatal("opened before the default Failures")
	}
	brCall(b, brFailure)
	if b.state() != BreakerOpen {
		t.Fatal("not open after the default Failures")
	}
	clk.Advance(defaultBreakerOpenFor)
	for range defaultBreakerProbes {
		if !brCall(b, brSuccess) {
			t.Fatal("probe refused")
		}
	}
	if b.state() != BreakerClosed {
		t.Fatalf("state %v after the default Probes good probes", b.state())
	}
}

// Many goroutines hammering an open-and-closing breaker: the race detector
// checks the lock-free paths, and at most one probe is ever in flight.
func TestConcurrentUse(t *testing.T) {
	clk := newFakeClock()
	b := newTestBreaker(clk, BreakerOptions{Failures: 3, OpenFor: time.Millisecond, Probes: 2})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inflight int
	)
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				tk, ok := b.Allow()
				if !ok {
					clk.Advance(time.Microsecond * 100)
					continue
				}
				if tk.probe {
					mu.Lock()
					inflight++
					if inflight > 1 {
						t.Error("two probes in flight")
					}
					mu.Unlock()
				}
				o := brSuccess
				if (i+g)%3 == 0 {
					o = brFailure
				}
				if tk.probe {
					mu.Lock()
					inflight--
					mu.Unlock()
				}
				b.Done(tk, o)
			}
		})
	}
	wg.Wait()
}
