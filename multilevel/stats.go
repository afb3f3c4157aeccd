package multilevel

import (
	"strconv"
	"sync/atomic"

	"github.com/stratacache/cache"
)

// Stats is a snapshot of a Cache's counters, level by level. The counters
// are read one after another, so under concurrent use they may mix
// slightly different moments.
type Stats struct {
	// L1 is the local tier's own snapshot. Its Hits and Misses count Get
	// calls; its LoadsSucceeded, LoadsFailed and LoadsPanicked count
	// passes through the lower levels (store, then loader), one per key
	// however many callers waited.
	L1 cache.Stats

	// L2 counts the calls to the store.
	L2 StoreStats

	// Origin counts the calls to the loader: Options.Load, or the one
	// given to GetOrLoad.
	Origin OriginStats

	// Invalidation counts the messages of the invalidation bus.
	Invalidation InvalidationStats

	// Breaker is the state of the store's circuit breaker now.
	Breaker BreakerState

	// Lease counts the leases of Options.Lease; all zero when it is off.
	Lease LeaseStats
}

// LeaseStats counts what Options.Lease did on this instance's misses.
type LeaseStats struct {
	// Acquired counts the leases this instance took: loads it made on
	// behalf of every instance, take-overs of a lease that ended without
	// a value included.
	Acquired uint64
	// Waited counts misses that found another instance's lease and
	// waited; Shared those that got its value, TimedOut those that gave up
	// after Lease.Wait and loaded the key themselves. The rest took the
	// lease over (counted in Acquired too), met a failing store or
	// undecodable bytes, or were cancelled.
	Waited, Shared, TimedOut uint64
}

// StoreStats counts the calls a Cache made, or did not make, to its store.
type StoreStats struct {
	// Hits and Misses count reads that found a value and reads that got
	// ErrMiss or another instance's lease (Options.Lease). The reads of a
	// wait for a lease's value are counted in Stats.Lease instead.
	Hits, Misses uint64
	// DecodeErrors counts reads that found bytes the codec could not
	// decode (corrupt, written with another format, or over
	// Options.MaxDecodeBytes): neither hits nor misses. The key is then
	// loaded again and overwritten.
	DecodeErrors uint64
	// TypeMismatches counts reads that found a value written for another
	// value type or Options.Schema (codec.ErrTypeMismatch), as during a
	// deploy that changes V: neither hits nor misses, nor decode errors.
	// The key is then loaded again and overwritten.
	TypeMismatches uint64
	// Writes and Deletes count successful Set and Delete calls to the
	// store, write-backs after a load included.
	Writes, Deletes uint64
	// Errors counts calls that failed or timed out, reads and writes.
	Errors uint64
	// Rejected counts calls not made because the breaker was open.
	Rejected uint64
	// EncodeErrors counts values that could not be encoded, so were not
	// written to the store.
	EncodeErrors uint64
	// BreakerOpened counts how many times the breaker has opened.
	BreakerOpened uint64
}

// OriginStats counts the calls to the loader (Options.Load, or the one
// given to GetOrLoad).
type OriginStats struct {
	// Loads counts calls; NotFound and Errors those that returned
	// ErrNotFound and any other error (panics included).
	Loads, NotFound, Errors uint64
}

// InvalidationStats counts the traffic on the invalidation bus.
type InvalidationStats struct {
	// Sent counts messages published after a Set or Delete; SendErrors
	// those that failed. A write whose store call failed publishes none.
	Sent, SendErrors uint64
	// Received counts messages from other instances, each of which
	// evicted its key from the L1. An instance's own messages are not
	// counted.
	Received uint64
	// Undecodable counts messages whose key this instance could not map
	// to a K. Each cleared the whole L1, since it might have been meant
	// for any key.
	Undecodable uint64
	// Resyncs counts the times the subscription became active and the L1
	// was cleared because messages may have been missed: at start and
	// after every interruption.
	Resyncs uint64
	// Subscribed reports whether the subscription is active now.
	Subscribed bool
}

// BreakerState is the state of a circuit breaker: multilevel's in front of
// its store, and any level's in metrics.LevelStats. The zero value,
// BreakerNone, means there is no breaker.
type BreakerState uint8

// The breaker states.
const (
	// BreakerNone: there is no breaker (BreakerOptions.Disabled, or a
	// level without one).
	BreakerNone BreakerState = iota
	// BreakerClosed: calls go to the store; failures are counted.
	BreakerClosed
	// BreakerOpen: the store is considered down; calls are not made.
	BreakerOpen
	// BreakerHalfOpen: one probe call at a time tests the store.
	BreakerHalfOpen
)

// String returns the state's word, as the metrics' state label has it:
// "none", "closed", "open" or "half_open".
func (s BreakerState) String() string {
	switch s {
	case BreakerNone:
		return "none"
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half_open"
	}
	return "BreakerState(" + strconv.Itoa(int(s)) + ")"
}

func breakerState(b *breaker) BreakerState {
	if b == nil {
		return BreakerNone
	}
	return b.state()
}

// counters are the Cache's own counters. Remote calls cost far more than
// an atomic add, so plain shared atomics do.
type counters struct {
	l2Hits, l2Misses, l2DecodeErrors atomic.Uint64
	l2TypeMismatches                 atomic.Uint64
	l2Writes, l2Deletes, l2Errors    atomic.Uint64
	l2Rejected, l2EncodeErrors       atomic.Uint64
	loads, loadNotFound, loadErrors  atomic.Uint64
	sent, sendErrors, received       atomic.Uint64
	undecodable, resyncs             atomic.Uint64
	subscribed                       atomic.Bool
	leasesAcquired, leaseWaits       atomic.Uint64
	leaseShared, leaseTimeouts       atomic.Uint64
}

func (c *counters) leases() LeaseStats {
	return LeaseStats{
		Acquired: c.leasesAcquired.Load(), Waited: c.leaseWaits.Load(),
		Shared: c.leaseShared.Load(), TimedOut: c.leaseTimeouts.Load(),
	}
}

func (c *counters) snapshot() (l2 StoreStats, origin OriginStats, inv InvalidationStats) {
	l2 = StoreStats{
		Hits: c.l2Hits.Load(), Misses: c.l2Misses.Load(), DecodeErrors: c.l2DecodeErrors.Load(),
		TypeMismatches: c.l2TypeMismatches.Load(),
		Writes:         c.l2Writes.Load(), Deletes: c.l2Deletes.Load(), Errors: c.l2Errors.Load(),
		Rejected: c.l2Rejected.Load(), EncodeErrors: c.l2EncodeErrors.Load(),
	}
	origin = OriginStats{Loads: c.loads.Load(), NotFound: c.loadNotFound.Load(), Errors: c.loadErrors.Load()}
	inv = InvalidationStats{
		Sent: c.sent.Load(), SendErrors: c.sendErrors.Load(), Received: c.received.Load(),
		Undecodable: c.undecodable.Load(), Resyncs: c.resyncs.Load(), Subscribed: c.subscribed.Load(),
	}
	return l2, origin, inv
}
