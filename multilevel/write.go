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
	c.l1Set(key, value, ttl)
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

// l1Set writes value to the L1 for ttl (see SetWithTTL): the L1's default
// lifetime (jittered as L1.TTLJitter says) unless ttl is shorter.
func (c *core[K, V]) l1Set(key K, value V, ttl time.Duration) {
	shorter := ttl != 0 && ttl != cache.NoTTL &&
		(c.l1TTL == 0 || c.l1TTL == cache.NoTTL || ttl < c.l1TTL)
	if shorter {
		c.l1.SetWithTTL(key, value, ttl)
		return
	}
	c.l1.Set(key, value)
}
