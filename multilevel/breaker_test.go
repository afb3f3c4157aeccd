package multilevel

import (
	"github.com/stratacache/cache/internal/fakeclock"
	"sync"
	"testing"
	"time"
)

// brClock is a fake time source that moves only when told to.
type brClock = fakeclock.Clock

func newBrClock() *brClock { return fakeclock.New() }

func newTestBreaker(clk *brClock, o brOptions) *breaker {
	o.Now = clk.Now
	return newBreaker(o)
}

// call runs one call through b with the given outcome and reports whether
// it was allowed.
func brCall(b *breaker, o brOutcome) bool {
	t, ok := b.Allow()
	if ok {
		b.Done(t, o)
	}
	return ok
}

func TestConsecutiveFailuresOpenIt(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 3, MinCalls: 1000})
	brCall(b, brFailure)
	brCall(b, brFailure)
	brCall(b, brSuccess) // breaks the streak
	brCall(b, brFailure)
	brCall(b, brFailure)
	if b.state() != brClosed {
		t.Fatalf("state %v after a broken streak, want Closed", b.state())
	}
	brCall(b, brFailure)
	if b.state() != brOpen || b.Opened() != 1 {
		t.Fatalf("state %v, opened %d after 3 consecutive failures; want Open, 1", b.state(), b.Opened())
	}
	if brCall(b, brSuccess) {
		t.Fatal("an open breaker allowed a call")
	}
}

func TestFailureRatioOpensIt(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 100, Ratio: 0.5, MinCalls: 10, Window: time.Minute})
	// Alternate: never two failures in a row, but half of all calls fail.
	for i := range 9 {
		o := brSuccess
		if i%2 == 0 {
			o = brFailure
		}
		brCall(b, o)
	}
	if b.state() != brClosed {
		t.Fatalf("state %v before MinCalls, want Closed", b.state())
	}
	brCall(b, brFailure) // 10 calls, 6 failures
	if b.state() != brOpen {
		t.Fatalf("state %v at 60%% failures over 10 calls, want Open", b.state())
	}
}

func TestRatioCountsPerWindow(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 100, Ratio: 0.5, MinCalls: 10, Window: time.Second})
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
	if b.state() != brClosed {
		t.Fatalf("state %v, want Closed", b.state())
	}
	brCall(b, brFailure) // 6 of 10
	if b.state() != brOpen {
		t.Fatalf("state %v, want Open", b.state())
	}
}

func TestHalfOpenProbesCloseIt(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 1, OpenFor: time.Second, Probes: 2})
	brCall(b, brFailure)
	clk.Advance(999 * time.Millisecond)
	if brCall(b, brSuccess) {
		t.Fatal("allowed a call before OpenFor passed")
	}
	clk.Advance(time.Millisecond)

	probe, ok := b.Allow()
	if !ok || b.state() != brHalfOpen {
		t.Fatalf("Allow after OpenFor = %v in state %v; want a probe in HalfOpen", ok, b.state())
	}
	if _, ok := b.Allow(); ok {
		t.Fatal("allowed a second call while a probe is in flight")
	}
	b.Done(probe, brSuccess)
	if b.state() != brHalfOpen {
		t.Fatalf("state %v after one of two probes, want HalfOpen", b.state())
	}
	if !brCall(b, brSuccess) {
		t.Fatal("second probe refused")
	}
	if b.state() != brClosed {
		t.Fatalf("state %v after two good probes, want Closed", b.state())
	}
	// Closed again with a clean slate: one failure opens it (Failures 1).
	brCall(b, brFailure)
	if b.state() != brOpen || b.Opened() != 2 {
		t.Fatalf("state %v, opened %d; want Open, 2", b.state(), b.Opened())
	}
}

func TestFailedProbeReopensIt(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 1, OpenFor: time.Second, Probes: 1})
	brCall(b, brFailure)
	clk.Advance(time.Second)
	if !brCall(b, brFailure) {
		t.Fatal("probe refused")
	}
	if b.state() != brOpen || b.Opened() != 2 {
		t.Fatalf("state %v, opened %d after a failed probe; want Open, 2", b.state(), b.Opened())
	}
	// The new open period starts at the failed probe.
	clk.Advance(time.Second - 1)
	if brCall(b, brSuccess) {
		t.Fatal("allowed a call inside the new open period")
	}
	clk.Advance(1)
	if !brCall(b, brSuccess) || b.state() != brClosed {
		t.Fatalf("state %v after a good probe, want Closed", b.state())
	}
}

func TestIgnoredProbeFreesTheSlot(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 1, OpenFor: time.Second, Probes: 1})
	brCall(b, brFailure)
	clk.Advance(time.Second)
	if !brCall(b, brIgnored) {
		t.Fatal("probe refused")
	}
	if b.state() != brHalfOpen {
		t.Fatalf("state %v after an ignored probe, want HalfOpen", b.state())
	}
	if !brCall(b, brSuccess) || b.state() != brClosed {
		t.Fatalf("state %v, want Closed", b.state())
	}
}

func TestIgnoredCallsDoNotCount(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 2, Ratio: 0.5, MinCalls: 2})
	brCall(b, brFailure)
	for range 100 {
		brCall(b, brIgnored)
	}
	if b.state() != brClosed {
		t.Fatalf("state %v, want Closed", b.state())
	}
	brCall(b, brFailure)
	if b.state() != brOpen {
		t.Fatalf("state %v, want Open: ignored calls must not break the streak", b.state())
	}
}

func TestStaleOutcomesAreDropped(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 1, OpenFor: time.Second, Probes: 1})
	slow, _ := b.Allow() // allowed while closed, answers late
	brCall(b, brFailure) // opens
	clk.Advance(time.Second)
	probe, ok := b.Allow()
	if !ok {
		t.Fatal("probe refused")
	}
	b.Done(slow, brSuccess) // from before the outage: must not close it
	if b.state() != brHalfOpen {
		t.Fatalf("state %v after a stale success, want HalfOpen", b.state())
	}
	b.Done(probe, brFailure)
	if b.state() != brOpen {
		t.Fatalf("state %v, want Open", b.state())
	}
}

func TestDefaults(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{})
	for range brDefaultFailures - 1 {
		brCall(b, brFailure)
	}
	if b.state() != brClosed {
		t.Fatal("opened before DefaultFailures")
	}
	brCall(b, brFailure)
	if b.state() != brOpen {
		t.Fatal("not open after DefaultFailures")
	}
	clk.Advance(brDefaultOpenFor)
	for range brDefaultProbes {
		if !brCall(b, brSuccess) {
			t.Fatal("probe refused")
		}
	}
	if b.state() != brClosed {
		t.Fatalf("state %v after DefaultProbes good probes", b.state())
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[brState]string{brClosed: "Closed", brOpen: "Open", brHalfOpen: "HalfOpen", 7: "State(7)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}

// Many goroutines hammering an open-and-closing breaker: the race detector
// checks the lock-free paths, and at most one probe is ever in flight.
func TestConcurrentUse(t *testing.T) {
	clk := newBrClock()
	b := newTestBreaker(clk, brOptions{Failures: 3, OpenFor: time.Millisecond, Probes: 2})
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
