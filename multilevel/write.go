package multilevel

import (
	"context"
	"fmt"
	"time"

	"github.com/stratacache/cache"
)

// set is Set (ttl 0) and SetWithTTL.
func (c *core[K, V]) set(ctx context.Context, key K, value V, ttl time.Duration) error {
	if ttl < 0 {
		return c.delete(ctx, key) // already expired
	}
	if !c.enter() {
		return ErrClosed
	}
	defer c.running.Done()
	data, err := c.marshal(value)
	if err != nil {
		return fmt.Errorf("multilevel: encode value: %w", err)
	}
	skey := c.keys.storeKey(key)
	end := c.guard.beginWrite(skey)
	defer end()
	// The store first: a load of key that starts on this instance after
	// the L1 write must find the new bytes, not the old ones. A load that
	// is already running when the L1 write lands is superseded by it.
	err = c.storeSet(ctx, skey, data, c.storeLife(ttl))
	c.l1Set(key, value, c.storeBound(ttl))
	if err != nil {
		return storeError("set", skey, err)
	}
	c.publish(ctx, skey)
	return nil
}

func (c *core[K, V]) delete(ctx context.Context, key K) error {
	if !c.enter() {
		return ErrClosed
	}
	defer c.running.Done()
	skey := c.keys.storeKey(key)
	end := c.guard.beginWrite(skey)
	defer end()
	err := c.storeDelete(ctx, skey) // the store first, as in set
	c.l1.Delete(key)
	if err != nil {
		return storeError("delete", skey, err)
	}
	c.publish(ctx, skey)
	return nil
}

// storeLife is the store lifetime of a write with ttl (see SetWithTTL), in
// the store's terms: 0 means no expiry.
func (c *core[K, V]) storeLife(ttl time.Duration) time.Duration {
	switch ttl {
	case 0:
		return c.l2TTL
	case cache.NoTTL:
		return 0
	}
	return ttl
}

// storeBound is the lifetime a write with ttl (see SetWithTTL) gives the
// value in the store, in SetWithTTL's terms: L2TTL for 0. The L1 is given
// no longer than that (see l1Life), so that with an L2TTL shorter than the
// L1's TTL this instance does not serve a value the store has dropped.
func (c *core[K, V]) storeBound(ttl time.Duration) time.Duration {
	if ttl != 0 {
		return ttl
	}
	if c.l2TTL == 0 {
		return cache.NoTTL
	}
	return c.l2TTL
}

// l1Set writes value to the L1 for ttl (see SetWithTTL): the L1's default
// lifetime (jittered as L1.TTLJitter says) unless ttl is shorter.
func (c *core[K, V]) l1Set(key K, value V, ttl time.Duration) {
	if life := c.l1Life(key, value, ttl); life != 0 {
		c.l1.SetWithTTL(key, value, life)
		return
	}
	c.l1.Set(key, value)
}

// l1Life is the L1 lifetime of value, which lives ttl in the store or by
// its loader's word: 0 (the L1's own, which L1.ExpireAfterWrite or L1.TTL
// decides and L1.TTLJitter shortens) unless ttl is shorter than that, in
// which case ttl. A ttl of 0 or NoTTL sets no bound; a negative one keeps
// value out of the L1.
func (c *core[K, V]) l1Life(key K, value V, ttl time.Duration) time.Duration {
	switch {
	case ttl < 0:
		return ttl
	case ttl == 0 || ttl == cache.NoTTL:
		return 0
	}
	own := c.l1TTL
	if c.l1Expiry != nil {
		if d := c.l1Expiry(key, value); d != 0 {
			own = d
		}
	}
	if own < 0 {
		return 0 // the L1's own keeps it out already
	}
	if own == 0 || own == cache.NoTTL || ttl < own {
		return ttl // own is unknown (a borrowed L1), none, or longer
	}
	return 0
}
