// Package breaker is a circuit breaker for calls to a remote service.
//
// A Breaker starts closed: calls go ahead and their outcomes are counted.
// It opens after Options.Failures consecutive failures, or when at least
// Options.MinCalls calls in the current window failed in the proportion
// Options.Ratio or more. While open, Allow refuses every call at the cost of
// two atomic loads and a clock read. After Options.OpenFor it lets one call
// through at a time as a probe (half-open): Options.Probes consecutive
// successful probes close it, one failed probe opens it again.
//
// Outcomes are tied to the state they were allowed in: a call that was
// allowed before the breaker changed state reports into the void, so a slow
// call from before an outage cannot close a breaker that a probe reopened.
package multilevel

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// State is where a breaker stands.
type brState uint8

// The three states of a breaker.
const (
	brClosed   brState = iota // calls go ahead and are counted
	brOpen                    // calls are refused until OpenFor has passed
	brHalfOpen                // one probe call at a time decides
)

func (s brState) String() string {
	switch s {
	case brClosed:
		return "Closed"
	case brOpen:
		return "Open"
	case brHalfOpen:
		return "HalfOpen"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Outcome is how an allowed call went.
type brOutcome uint8

// The outcomes a caller reports with Done.
const (
	// Success: the remote service answered (a "not found" is an answer).
	brSuccess brOutcome = iota
	// Failure: the service failed or did not answer in time.
	brFailure
	// Ignored: the call says nothing about the service's health, for
	// example because the caller gave up first. It only frees a probe slot.
	brIgnored
)

// Options tunes a Breaker. Zero fields take the defaults listed.
type brOptions struct {
	// Failures is the number of consecutive failures that opens the
	// breaker. Default 5.
	Failures int
	// Ratio is the failure ratio over a window that opens the breaker,
	// in (0, 1]. Default 0.5.
	Ratio float64
	// MinCalls is how many calls a window needs before Ratio applies.
	// Default 20.
	MinCalls int
	// Window is the length of the fixed windows over which calls are
	// counted for Ratio. Default 10s.
	Window time.Duration
	// OpenFor is how long the breaker stays open before probing.
	// Default 1s.
	OpenFor time.Duration
	// Probes is the number of consecutive successful probes that closes
	// a half-open breaker. Default 3.
	Probes int
	// Now tells the time; nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
}

// Defaults of the Options fields.
const (
	brDefaultFailures = 5
	brDefaultRatio    = 0.5
	brDefaultMinCalls = 20
	brDefaultWindow   = 10 * time.Second
	brDefaultOpenFor  = time.Second
	brDefaultProbes   = 3
)

func (o brOptions) withDefaults() brOptions {
	if o.Failures <= 0 {
		o.Failures = brDefaultFailures
	}
	if !(o.Ratio > 0 && o.Ratio <= 1) {
		o.Ratio = brDefaultRatio
	}
	if o.MinCalls <= 0 {
		o.MinCalls = brDefaultMinCalls
	}
	if o.Window <= 0 {
		o.Window = brDefaultWindow
	}
	if o.OpenFor <= 0 {
		o.OpenFor = brDefaultOpenFor
	}
	if o.Probes <= 0 {
		o.Probes = brDefaultProbes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Ticket is the permission Allow gives to one call. Hand it back to Done.
type brTicket struct {
	word  uint64 // the state word the call was allowed under
	probe bool
}

// Breaker is a circuit breaker. It is safe for concurrent use. Make one
// with New.
type breaker struct {
	opts  brOptions
	epoch time.Time

	// word packs the state (low 2 bits) and a generation number that
	// grows with every state change, so that a ticket can tell whether
	// the state it was issued under is still current.
	word      atomic.Uint64
	openUntil atomic.Int64 // nanoseconds since epoch; meaningful while Open
	opened    atomic.Uint64

	mu          sync.Mutex
	consecutive int   // consecutive failures while closed
	windowStart int64 // nanoseconds since epoch
	calls       int   // in the current window
	failures    int   // in the current window
	probing     bool  // a probe is in flight
	successes   int   // consecutive successful probes
}

// New returns a closed breaker.
func newBreaker(opts brOptions) *breaker {
	o := opts.withDefaults()
	return &breaker{opts: o, epoch: o.Now()}
}

func (b *breaker) now() int64 { return int64(b.opts.Now().Sub(b.epoch)) }

func stateOf(word uint64) brState { return brState(word & 3) }

// State returns the breaker's state. An open breaker whose OpenFor has
// passed still reports Open until the next Allow turns it half-open.
func (b *breaker) state() brState { return stateOf(b.word.Load()) }

// Opened returns how many times the breaker has opened.
func (b *breaker) Opened() uint64 { return b.opened.Load() }

// Allow reports whether a call may go ahead. If it may, the caller must
// make the call and then report its outcome with Done(ticket, outcome),
// exactly once. A closed breaker allows at the cost of one atomic load; an
// open one refuses at the cost of two and a clock read.
func (b *breaker) Allow() (brTicket, bool) {
	w := b.word.Load()
	switch stateOf(w) {
	case brClosed:
		return brTicket{word: w}, true
	case brOpen:
		if b.now() < b.openUntil.Load() {
			return brTicket{}, false
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w = b.word.Load()
	switch stateOf(w) {
	case brClosed:
		return brTicket{word: w}, true
	case brOpen:
		if b.now() < b.openUntil.Load() {
			return brTicket{}, false
		}
		w = b.setLocked(brHalfOpen)
		b.successes = 0
	}
	if b.probing {
		return brTicket{}, false
	}
	b.probing = true
	return brTicket{word: w, probe: true}, true
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
				b.setLocked(brClosed)
				b.resetCountsLocked(b.now())
			}
		case brFailure:
			b.openLocked()
		}
		return
	}
	if o == brIgnored {
		return
	}
	now := b.now()
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
	b.openUntil.Store(b.now() + int64(b.opts.OpenFor))
	b.setLocked(brOpen)
	b.opened.Add(1)
	b.consecutive = 0
}

// setLocked moves to state s with a new generation and returns the word.
func (b *breaker) setLocked(s brState) uint64 {
	w := (b.word.Load()>>2+1)<<2 | uint64(s)
	b.word.Store(w)
	return w
}

func (b *breaker) resetCountsLocked(now int64) {
	b.windowStart = now
	b.calls, b.failures = 0, 0
}
