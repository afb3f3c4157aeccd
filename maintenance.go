package cache

import "time"

// expiryInterval is how often the expiry goroutine sweeps. It only bounds
// how long an expired entry's memory stays held: reads check deadlines
// exactly.
const expiryInterval = time.Second

// startJanitor starts the expiry goroutine the first time an entry with a
// deadline is written; caches that never expire anything run none.
func (c *core[K, V]) startJanitor() {
	if c.closed.Load() || !c.janitor.CompareAndSwap(false, true) {
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

// expire sweeps every shard. Shards with nothing scheduled cost an atomic
// load, so an idle cache costs next to nothing. A panic in OnEvict is
// re-raised after the sweep, like any unrecovered panic on a goroutine.
func (c *core[K, V]) expire() {
	c.inHook.Store(true)
	defer c.inHook.Store(false)
	var first any
	for _, s := range c.shards {
		removed := s.Expire()
		first = firstPanic(first, c.notify(&removed))
	}
	repanic(first)
}

// close stops the expiry goroutine, cancels the loads in flight (their
// waiters get ErrClosed at once; loaders are not waited for) and, if report
// is true, clears the cache reporting ReasonCleared. It is idempotent.
func (c *core[K, V]) close(report bool) {
	c.stopOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		c.stopLoads()
		// Waiting would deadlock if OnEvict, run by the expiry goroutine,
		// called Close; that goroutine exits right after the hook instead.
		if c.janitor.Load() && !c.inHook.Load() {
			<-c.finished
		}
		var first any
		for _, s := range c.shards {
			removed := s.Close()
			if report {
				first = firstPanic(first, c.notify(&removed))
			}
		}
		repanic(first)
	})
}
