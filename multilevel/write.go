package multilevel

import (
	"context"
	"fmt"
)

func (c *core[K, V]) set(ctx context.Context, key K, value V) error {
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
	err = c.storeSet(ctx, skey, data)
	c.l1.Set(key, value)
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
