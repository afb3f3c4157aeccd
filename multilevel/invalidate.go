package multilevel

// The bus's callbacks. They run on the bus's goroutine (the publisher's,
// for MemoryStore) with no lock of ours held; the L1 calls they make may
// run the user's OnEvict.

// onMessage evicts the key of another instance's write from the L1.
func (c *core[K, V]) onMessage(m Message) {
	if m.Sender == c.id {
		return
	}
	key, err := c.keys.key(m.Key)
	if err != nil {
		// It may have been meant for any key: forget them all rather
		// than serve one stale until its TTL ends.
		c.l1.Clear()
		c.n.undecodable.Add(1)
		return
	}
	c.guard.changed(m.Key) // a load of key running here must not write back
	c.l1.Delete(key)
	if c.fills != nil {
		c.fills.notify(m.Key) // a load waiting on another's lease reads the store again
	}
	// Counted once the key is gone, so that whoever reads the count
	// (Stats) can rely on the eviction having happened.
	c.n.received.Add(1)
}

// onUp clears the L1 whenever the subscription becomes active: messages
// published while it was not were lost, and any L1 entry may be one they
// were meant to evict. Clearing also supersedes loads in flight, whose
// store reads may predate a lost message.
func (c *core[K, V]) onUp() {
	c.l1.Clear()
	if c.fills != nil {
		c.fills.notifyAll()
	}
	c.n.resyncs.Add(1)
	c.n.subscribed.Store(true)
}

func (c *core[K, V]) onDown(error) {
	c.n.subscribed.Store(false)
}
