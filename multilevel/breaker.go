package multilevel

import (
	"sync"
	"sync/atomic"
	"time"
)

// brOutcome is how an allowed call went.
type brOutcome uint8

// The outcomes a caller reports with Done.
const (
	// brSuccess: the store answered (a miss is an answer).
	brSuccess brOutcome = iota
	// brFailure: the store failed or did not answer in time.
	brFailure
	// brIgnored: the call says nothing about the store's health, for
	// example because the caller gave up first. It only frees a probe slot.
	brIgnored
)

// Defaults of the BreakerOptions fields.
const (
	defaultBreakerFailures = 5
	defaultBreakerRatio    = 0.5
	defaultBreakerMinCalls = 20
	defaultBreakerWindow   = 10 * time.Second
	defaultBreakerOpenFor  = time.Second
	defaultBreakerProbes   = 3
)

// withDefaults returns o with its zero fields set to the defaults.
func (o BreakerOptions) withDefaults() BreakerOptions {
	if o.Failures <= 0 {
		o.Failures = defaultBreakerFailures
	}
	if !(o.Ratio > 0 && o.Ratio <= 1) {
		o.Ratio = defaultBreakerRatio
	}
	if o.MinCalls <= 0 {
		o.MinCalls = defaultBreakerMinCalls
	}
	if o.Window <= 0 {
		o.Window = defaultBreakerWindow
	}
	if o.OpenFor <= 0 {
		o.OpenFor = defaultBreakerOpenFor
	}
	if o.Probes <= 0 {
		o.Probes = defaultBreakerProbes
	}
	return o
}

// brTicket is the permission Allow gives to one call. Hand it back to Done.
type brTicket struct {
	word  uint64 // the state word the call was allowed under
	probe bool
}

// breaker is the circuit breaker in front of the store, tuned by
// BreakerOptions. It starts closed: calls go ahead and their outcomes are
// counted. It opens after Failures consecutive failures, or when at least
// MinCalls calls of the current Window failed in the proportion Ratio or
// more; while open, Allow refuses every call at the cost of two atomic
// loads and a clock read. After OpenFor it lets one probe call through at
// a time (half-open): Probes consecutive successes close it, one failure
// opens it again. Outcomes are tied to the state a call was allowed in,
// so a slow call from before an outage cannot close a breaker that a
// probe reopened. It is safe for concurrent use.
type breaker struct {
	opts  BreakerOptions
	now   func() time.Time
	epoch time.Time

	// word packs the state (a BreakerState, low 2 bits) and a generation
	// number that grows with every state change, so that a ticket can
	// tell whether the state it was issued under is still current.
	word      atomic.Uint64
	openUntil atomic.Int64 // nanoseconds since epoch; meaningful while open
	opened    atomic.Uint64

	mu          sync.Mutex
	consecutive int   // consecutive failures while closed
	windowStart int64 // nanoseconds since epoch
	calls       int   // in the current window
	failures    int   // in the current window
	probing     bool  // a probe is in flight
	successes   int   // consecutive successful probes
}

// newBreaker returns a closed breaker tuned by opts, its zero fields
// defaulted, that tells the time with now (time.Now if nil).
func newBreaker(opts BreakerOptions, now func() time.Time) *breaker {
	if now == nil {
		now = time.Now
	}
	b := &breaker{opts: opts.withDefaults(), now: now, epoch: now()}
	b.word.Store(uint64(BreakerClosed))
	return b
}

func (b *breaker) sinceEpoch() int64 { return int64(b.now().Sub(b.epoch)) }

func stateOf(word uint64) BreakerState { return BreakerState(word & 3) }

// state returns the breaker's state. An open breaker whose OpenFor has
// passed still reports BreakerOpen until the next allow turns it half-open.
func (b *breaker) state() BreakerState { return stateOf(b.word.Load()) }

// Opened returns how many times the breaker has opened.
func (b *breaker) Opened() uint64 { return b.opened.Load() }

// Allow reports whether a call may go ahead. If it may, the caller must
// make the call and then report its outcome with Done(ticket, outcome),
// exactly once. A closed breaker allows at the cost of one atomic load; an
// open one refuses at the cost of two and a clock read.
func (b *breaker) Allow() (brTicket, bool) {
	if t, ok, known := b.settled(b.word.Load()); known {
		return t, ok
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.word.Load()
	if t, ok, known := b.settled(w); known {
		return t, ok
	}
	if stateOf(w) == BreakerOpen { // and its open period is over
		w = b.setLocked(BreakerHalfOpen)
		b.successes = 0
	}
	if b.probing {
		return brTicket{}, false
	}
	b.probing = true
	return brTicket{word: w, probe: true}, true
}

// settled answers Allow for state word w when no probe is involved: a
// closed breaker allows, an open one within its open period refuses.
// Otherwise known is false.
func (b *breaker) settled(w uint64) (t brTicket, ok, known bool) {
	switch stateOf(w) {
	case BreakerClosed:
		return brTicket{word: w}, true, true
	case BreakerOpen:
		if b.sinceEpoch() < b.openUntil.Load() {
			return brTicket{}, false, true
		}
	}
	return brTicket{}, false, false
}

// Done reports the outcome of a call that Allow let through.
func (b *breaker) Done(t brTicket, o brOutcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != t.word {
		return // the breaker changed state since: the outcome is stale
	}
	if t.probe {
		b.probing = false
		switch o {
		case brSuccess:
			if b.successes++; b.successes >= b.opts.Probes {
				b.setLocked(BreakerClosed)
				b.resetCountsLocked(b.sinceEpoch())
			}
		case brFailure:
			b.openLocked()
		}
		return
	}
	if o == brIgnored {
		return
	}
	now := b.sinceEpoch()
	if now-b.windowStart >= int64(b.opts.Window) {
		// A new window: the ratio counts afresh, while the streak of
		// consecutive failures carries over.
		b.resetCountsLocked(now)
	}
	b.calls++
	if o == brSuccess {
		b.consecutive = 0
		return
	}
	b.failures++
	b.consecutive++
	if b.consecutive >= b.opts.Failures ||
		(b.calls >= b.opts.MinCalls && float64(b.failures) >= b.opts.Ratio*float64(b.calls)) {
		b.openLocked()
	}
}

func (b *breaker) openLocked() {
	b.openUntil.Store(b.sinceEpoch() + int64(b.opts.OpenFor))
	b.setLocked(BreakerOpen)
	b.opened.Add(1)
	b.consecutive = 0
}

// setLocked moves to state s with a new generation and returns the word.
func (b *breaker) setLocked(s BreakerState) uint64 {
	w := (b.word.Load()>>2+1)<<2 | uint64(s)
	b.word.Store(w)
	return w
}

func (b *breaker) resetCountsLocked(now int64) {
	b.windowStart = now
	b.calls, b.failures = 0, 0
}
