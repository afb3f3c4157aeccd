package breaker

import (
	"github.com/stratacache/cache/internal/fakeclock"
	"sync"
	"testing"
	"time"
)

// clock is a fake time source that moves only when told to.
type clock = fakeclock.Clock

func newClock() *clock { return fakeclock.New() }

func newBreaker(clk *clock, o Options) *Breaker {
	o.Now = clk.Now
	return New(o)
}

// call runs one call through b with the given outcome and reports whether
// it was allowed.
func call(b *Breaker, o Outcome) bool {
	t, ok := b.Allow()
	if ok {
		b.Done(t, o)
	}
	return ok
}

func TestConsecutiveFailuresOpenIt(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 3, MinCalls: 1000})
	call(b, Failure)
	call(b, Failure)
	call(b, Success) // breaks the streak
	call(b, Failure)
	call(b, Failure)
	if b.State() != Closed {
		t.Fatalf("state %v after a broken streak, want Closed", b.State())
	}
	call(b, Failure)
	if b.State() != Open || b.Opened() != 1 {
		t.Fatalf("state %v, opened %d after 3 consecutive failures; want Open, 1", b.State(), b.Opened())
	}
	if call(b, Success) {
		t.Fatal("an open breaker allowed a call")
	}
}

func TestFailureRatioOpensIt(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 100, Ratio: 0.5, MinCalls: 10, Window: time.Minute})
	// Alternate: never two failures in a row, but half of all calls fail.
	for i := range 9 {
		o := Success
		if i%2 == 0 {
			o = Failure
		}
		call(b, o)
	}
	if b.State() != Closed {
		t.Fatalf("state %v before MinCalls, want Closed", b.State())
	}
	call(b, Failure) // 10 calls, 6 failures
	if b.State() != Open {
		t.Fatalf("state %v at 60%% failures over 10 calls, want Open", b.State())
	}
}

func TestRatioCountsPerWindow(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 100, Ratio: 0.5, MinCalls: 10, Window: time.Second})
	for range 8 {
		call(b, Success)
	}
	for range 5 {
		call(b, Failure) // 5 of 13: below half
	}
	clk.Advance(time.Second) // a new window forgets the successes
	for range 4 {
		call(b, Success)
	}
	for range 5 {
		call(b, Failure) // the streak continues; 5 of 9 is under MinCalls
	}
	if b.State() != Closed {
		t.Fatalf("state %v, want Closed", b.State())
	}
	call(b, Failure) // 6 of 10
	if b.State() != Open {
		t.Fatalf("state %v, want Open", b.State())
	}
}

func TestHalfOpenProbesCloseIt(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 1, OpenFor: time.Second, Probes: 2})
	call(b, Failure)
	clk.Advance(999 * time.Millisecond)
	if call(b, Success) {
		t.Fatal("allowed a call before OpenFor passed")
	}
	clk.Advance(time.Millisecond)

	probe, ok := b.Allow()
	if !ok || b.State() != HalfOpen {
		t.Fatalf("Allow after OpenFor = %v in state %v; want a probe in HalfOpen", ok, b.State())
	}
	if _, ok := b.Allow(); ok {
		t.Fatal("allowed a second call while a probe is in flight")
	}
	b.Done(probe, Success)
	if b.State() != HalfOpen {
		t.Fatalf("state %v after one of two probes, want HalfOpen", b.State())
	}
	if !call(b, Success) {
		t.Fatal("second probe refused")
	}
	if b.State() != Closed {
		t.Fatalf("state %v after two good probes, want Closed", b.State())
	}
	// Closed again with a clean slate: one failure opens it (Failures 1).
	call(b, Failure)
	if b.State() != Open || b.Opened() != 2 {
		t.Fatalf("state %v, opened %d; want Open, 2", b.State(), b.Opened())
	}
}

func TestFailedProbeReopensIt(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 1, OpenFor: time.Second, Probes: 1})
	call(b, Failure)
	clk.Advance(time.Second)
	if !call(b, Failure) {
		t.Fatal("probe refused")
	}
	if b.State() != Open || b.Opened() != 2 {
		t.Fatalf("state %v, opened %d after a failed probe; want Open, 2", b.State(), b.Opened())
	}
	// The new open period starts at the failed probe.
	clk.Advance(time.Second - 1)
	if call(b, Success) {
		t.Fatal("allowed a call inside the new open period")
	}
	clk.Advance(1)
	if !call(b, Success) || b.State() != Closed {
		t.Fatalf("state %v after a good probe, want Closed", b.State())
	}
}

func TestIgnoredProbeFreesTheSlot(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 1, OpenFor: time.Second, Probes: 1})
	call(b, Failure)
	clk.Advance(time.Second)
	if !call(b, Ignored) {
		t.Fatal("probe refused")
	}
	if b.State() != HalfOpen {
		t.Fatalf("state %v after an ignored probe, want HalfOpen", b.State())
	}
	if !call(b, Success) || b.State() != Closed {
		t.Fatalf("state %v, want Closed", b.State())
	}
}

func TestIgnoredCallsDoNotCount(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 2, Ratio: 0.5, MinCalls: 2})
	call(b, Failure)
	for range 100 {
		call(b, Ignored)
	}
	if b.State() != Closed {
		t.Fatalf("state %v, want Closed", b.State())
	}
	call(b, Failure)
	if b.State() != Open {
		t.Fatalf("state %v, want Open: ignored calls must not break the streak", b.State())
	}
}

func TestStaleOutcomesAreDropped(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 1, OpenFor: time.Second, Probes: 1})
	slow, _ := b.Allow() // allowed while closed, answers late
	call(b, Failure)     // opens
	clk.Advance(time.Second)
	probe, ok := b.Allow()
	if !ok {
		t.Fatal("probe refused")
	}
	b.Done(slow, Success) // from before the outage: must not close it
	if b.State() != HalfOpen {
		t.Fatalf("state %v after a stale success, want HalfOpen", b.State())
	}
	b.Done(probe, Failure)
	if b.State() != Open {
		t.Fatalf("state %v, want Open", b.State())
	}
}

func TestDefaults(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{})
	for range DefaultFailures - 1 {
		call(b, Failure)
	}
	if b.State() != Closed {
		t.Fatal("opened before DefaultFailures")
	}
	call(b, Failure)
	if b.State() != Open {
		t.Fatal("not open after DefaultFailures")
	}
	clk.Advance(DefaultOpenFor)
	for range DefaultProbes {
		if !call(b, Success) {
			t.Fatal("probe refused")
		}
	}
	if b.State() != Closed {
		t.Fatalf("state %v after DefaultProbes good probes", b.State())
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Closed: "Closed", Open: "Open", HalfOpen: "HalfOpen", 7: "State(7)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}

// Many goroutines hammering an open-and-closing breaker: the race detector
// checks the lock-free paths, and at most one probe is ever in flight.
func TestConcurrentUse(t *testing.T) {
	clk := newClock()
	b := newBreaker(clk, Options{Failures: 3, OpenFor: time.Millisecond, Probes: 2})
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
				o := Success
				if (i+g)%3 == 0 {
					o = Failure
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
