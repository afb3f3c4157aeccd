package multilevel

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// Leaser is a Store that can put a lease under a key that holds nothing,
// so that the instances sharing it load a missing key once between them
// (Options.Lease). MemoryStore, GCFreeStore and the Redis store implement
// it.
//
// A lease is stored under the key itself, in place of a value, so that
// taking it and finding a value there are one atomic step, and a value
// written over it releases it. To Get, Set and Delete a lease is bytes
// like any other: Get returns them, Set replaces them, Delete removes
// them. The cache recognises its leases by their first bytes (see
// docs/multilevel.md, "What is in the store").
type Leaser interface {
	// TryLease stores lease under key for ttl if key holds nothing (no
	// value, no lease), and reports whether it did. It is atomic with
	// respect to every other write of key. ttl is positive.
	TryLease(ctx context.Context, key string, lease []byte, ttl time.Duration) (bool, error)

	// Release deletes key if it still holds lease, byte for byte, and
	// does nothing otherwise (a value replaced the lease, or it expired),
	// atomically.
	Release(ctx context.Context, key string, lease []byte) error
}

// leaseMagic begins every lease: the codec header's magic with format 0,
// which no codec writes, so that older readers see a format mismatch, not
// a value.
const leaseMagic = "\xC1\x53\x00\x00lease:"

func isLease(data []byte) bool { return bytes.HasPrefix(data, []byte(leaseMagic)) }

// newLease returns a lease no other instance, and no other load of this
// one, can hold: the instance id and a sequence number.
func (c *core[K, V]) newLease() []byte {
	b := make([]byte, 0, len(leaseMagic)+len(c.id)+14)
	b = append(b, leaseMagic...)
	b = append(b, c.id...)
	b = append(b, '.')
	return strconv.AppendUint(b, c.leaseSeq.Add(1), 36)
}

// leaseOutcome is how a miss in lease mode goes on.
type leaseOutcome uint8

const (
	leaseHeld     leaseOutcome = iota // this instance holds the lease: load, store, release
	leaseShared                       // another instance's value arrived: use it
	leaseLoad                         // load without a lease (wait over, bytes undecodable)
	leaseNoStore                      // the store failed: load, and do not write back
	leaseCanceled                     // the load's context ended
)

// leaseOrWait is called by a lease-mode load that found no value in the store:
// found is what the store held instead (nil: nothing, else another
// instance's lease). It takes the lease or waits for the holder's value.
// With leaseHeld, mine is the lease to release; with leaseShared, v is
// the value, and left the time it has left in the store (0: no expiry, or
// the store cannot tell).
func (c *core[K, V]) leaseOrWait(ctx context.Context, skey string, found []byte) (v V, left time.Duration, mine []byte, out leaseOutcome) {
	// Watch for the holder's invalidation before asking, so that one
	// published in between is not missed.
	next, done := c.fills.watch(skey)
	defer done()
	if found == nil {
		mine = c.newLease()
		switch got, err := c.tryLease(ctx, skey, mine); {
		case err != nil:
			return v, 0, nil, leaseNoStore
		case got:
			c.n.leasesAcquired.Add(1)
			return v, 0, mine, leaseHeld
		}
	}
	c.n.leaseWaits.Add(1)
	return c.awaitLease(ctx, skey, mine, found == nil, next)
}

// awaitLease waits, at most Options.Lease.Wait, for the value of skey to
// replace another instance's lease, reading the store when woken by an
// invalidation of skey and every Poll. A lease that ends without a value
// is taken over. mine is the lease to try then; readNow says whether to
// read the store before the first wait (the lease was just refused, so
// the key may hold a value already).
func (c *core[K, V]) awaitLease(ctx context.Context, skey string, mine []byte, readNow bool, next func() <-chan struct{}) (v V, left time.Duration, _ []byte, _ leaseOutcome) {
	deadline := time.NewTimer(c.leaseWait)
	defer deadline.Stop()
	poll := time.NewTicker(c.leasePoll)
	defer poll.Stop()
	woken := next()
	for {
		if !readNow {
			select {
			case <-ctx.Done():
				return v, 0, nil, leaseCanceled
			case <-deadline.C:
				c.n.leaseTimeouts.Add(1)
				return v, 0, nil, leaseLoad
			case <-woken:
			case <-poll.C:
			}
		}
		readNow = false
		woken = next() // before the read: a fill during it wakes the next wait
		data, left, err := c.storeGet(ctx, skey)
		switch {
		case err == nil && !isLease(data):
			got, err := c.values.unmarshal(data)
			if err == nil {
				c.n.leaseShared.Add(1)
				return got, left, nil, leaseShared
			}
			c.countUndecodable(err)
			return v, 0, nil, leaseLoad // to be overwritten by this load
		case err == nil:
			// Still leased, by the holder or by one that took over.
		case errors.Is(err, ErrMiss):
			// The lease ended without a value: its holder failed, found
			// nothing, or died. Take it over.
			if mine == nil {
				mine = c.newLease()
			}
			got, err := c.tryLease(ctx, skey, mine)
			if err != nil {
				return v, 0, nil, leaseNoStore
			}
			if got {
				c.n.leasesAcquired.Add(1)
				return v, 0, mine, leaseHeld
			}
		default:
			return v, 0, nil, leaseNoStore
		}
	}
}

// tryLease asks the store for the lease on skey, behind the breaker.
func (c *core[K, V]) tryLease(ctx context.Context, skey string, lease []byte) (got bool, err error) {
	err = c.call(ctx, func(ctx context.Context) (err error) {
		got, err = c.leaser.TryLease(ctx, skey, lease, c.leaseWait)
		return err
	})
	return got, err
}

// endLease releases a lease this instance held, unless the value it
// loaded has replaced it (filled), and then publishes the fill so that
// the waiting instances wake up. It runs even when the load's context has
// ended: a lease left behind would hold the others up for Lease.Wait.
func (c *core[K, V]) endLease(ctx context.Context, skey string, lease []byte, filled bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	if filled {
		c.publish(ctx, skey)
		return
	}
	_ = c.call(ctx, func(ctx context.Context) error { return c.leaser.Release(ctx, skey, lease) })
}

// fillSignals wakes the loads waiting on another instance's lease when an
// invalidation of their key arrives. It holds an entry per key only while
// someone waits on it.
type fillSignals struct {
	mu sync.Mutex
	m  map[string]*fillSignal
}

type fillSignal struct {
	ch      chan struct{} // closed by the next notify
	waiters int
}

// watch registers a waiter on key. next returns a channel closed by the
// next notify of key; done unregisters.
func (f *fillSignals) watch(key string) (next func() <-chan struct{}, done func()) {
	f.mu.Lock()
	s := f.m[key]
	if s == nil {
		s = &fillSignal{ch: make(chan struct{})}
		f.m[key] = s
	}
	s.waiters++
	f.mu.Unlock()
	next = func() <-chan struct{} {
		f.mu.Lock()
		defer f.mu.Unlock()
		return s.ch
	}
	done = func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if s.waiters--; s.waiters == 0 {
			delete(f.m, key)
		}
	}
	return next, done
}

// notify wakes the waiters on key.
func (f *fillSignals) notify(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.m[key]; s != nil {
		close(s.ch)
		s.ch = make(chan struct{})
	}
}

// notifyAll wakes every waiter: messages may have been lost.
func (f *fillSignals) notifyAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.m {
		close(s.ch)
		s.ch = make(chan struct{})
	}
}
