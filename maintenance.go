package cache

import (
	"time"

	"github.com/stratacache/cache/entry"
)

// expiryInterval is how often the expiry goroutine sweeps. It only bounds
// how long an expired entry's memory stays held: reads check deadlines
// exactly.
const expiryInterval = time.Second

// startJanitor starts the expiry goroutine the first time an entry with a
// deadline is written; caches that never expire anything run none.
func (c *core[K, V]) startJanitor() {
	if !c.janitor.CompareAndSwap(false, true) {
		return
	}
	// Claimed first, closed checked second: a Close that has not seen the
	// claim has already marked the cache closed, so no goroutine outlives
	// it; one that has seen it waits for finished.
	if c.closed.Load() {
		close(c.finished)
		return
	}
	go c.runJanitor()
}

func (c *core[K, V]) runJanitor() {
	defer close(c.finished)
	t := time.NewTicker(expiryInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.expire()
		}
	}
}

// expire sweeps every shard, and stops early once the cache is closed.
// Shards with nothing scheduled cost an atomic load, so an idle cache
// costs next to nothing. A panic in OnEvict is re-raised after the sweep,
// like any unrecovered panic on a goroutine.
func (c *core[K, V]) expire() {
	var first any
	for _, s := range c.shards {
		if c.closed.Load() {
			break
		}
		removed := s.Expire()
		// Only while OnEvict runs here may Close skip waiting for this
		// goroutine: the hook may be what calls it.
		c.inHook.Store(true)
		first = firstPanic(first, c.notify(&removed))
		c.inHook.Store(false)
	}
	repanic(first)
}

// flush applies every shard's pending work and reports its removals.
func (c *core[K, V]) flush() {
	var first any
	for _, s := range c.shards {
		removed := s.Flush()
		first = firstPanic(first, c.notify(&removed))
	}
	repanic(first)
}

// close stops the expiry goroutine, cancels the loads in flight (their
// waiters get ErrClosed at once; loaders are not waited for), closes every
// shard and, if report is true, reports what the shards held as
// ReasonCleared.
//
// Only the first call does this; any other returns once the shards are
// closed, without waiting for the first call's reports, since it may be
// one of them: OnEvict may call Close. For the same reason close does not
// wait for the expiry goroutine while that goroutine is running OnEvict;
// it reports the rest of the removals its sweep of one shard found, then
// exits. At any other moment close waits for it.
func (c *core[K, V]) close(report bool) {
	if !c.closing.CompareAndSwap(false, true) {
		if report { // not the cleanup of a collected Cache, which never waits
			<-c.shut
		}
		return
	}
	c.closed.Store(true)
	close(c.done)
	c.stopLoads()
	removed := make([]entry.List[K, V], len(c.shards))
	for i, s := range c.shards {
		removed[i] = s.Close()
	}
	close(c.shut)
	if c.janitor.Load() && !c.inHook.Load() {
		<-c.finished
	}
	if !report {
		return
	}
	var first any
	for i := range removed {
		first = firstPanic(first, c.notify(&removed[i]))
	}
	repanic(first)
}
