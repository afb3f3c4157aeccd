package multilevel

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// call runs op against the store, behind the circuit breaker and with the
// deadline Options.Timeout, and returns its error. When the breaker
// refuses, op does not run and the error is ErrStoreUnavailable.
func (c *core[K, V]) call(ctx context.Context, op func(ctx context.Context) error) error {
	var ticket brTicket
	if c.br != nil {
		var ok bool
		if ticket, ok = c.br.Allow(); !ok {
			c.n.l2Rejected.Add(1)
			return ErrStoreUnavailable
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	err := op(callCtx)
	cancel()
	if err != nil && !errors.Is(err, ErrMiss) {
		c.n.l2Errors.Add(1)
	}
	if c.br != nil {
		c.br.Done(ticket, outcome(ctx, err))
	}
	return err
}

// outcome judges the store's health from one call: an answer (a miss is
// one) is a success; an error is a failure, unless the caller's own
// context ended, which says nothing about the store.
func outcome(parent context.Context, err error) brOutcome {
	switch {
	case err == nil || errors.Is(err, ErrMiss):
		return brSuccess
	case parent.Err() != nil:
		return brIgnored
	}
	return brFailure
}

// storeGet reads key from the store, with the time the value has left
// there if the store can tell (a TTLGetter): 0 if it does not expire or
// the store cannot tell.
func (c *core[K, V]) storeGet(ctx context.Context, key string) ([]byte, time.Duration, error) {
	var (
		data []byte
		left time.Duration
	)
	err := c.call(ctx, func(ctx context.Context) (err error) {
		if tg, ok := c.store.(TTLGetter); ok {
			data, left, err = tg.GetTTL(ctx, key)
			return err
		}
		data, err = c.store.Get(ctx, key)
		return err
	})
	return data, left, err
}

// storeSet writes data under key for ttl, the store's 0 meaning none.
func (c *core[K, V]) storeSet(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	err := c.call(ctx, func(ctx context.Context) error { return c.store.Set(ctx, key, data, ttl) })
	if err == nil {
		c.n.l2Writes.Add(1)
	}
	return err
}

// storeDelete removes key from the store.
func (c *core[K, V]) storeDelete(ctx context.Context, key string) error {
	err := c.call(ctx, func(ctx context.Context) error { return c.store.Delete(ctx, key) })
	if err == nil {
		c.n.l2Deletes.Add(1)
	}
	return err
}

// publish tells the other instances that key changed. It is best effort:
// a failure is counted, not returned.
func (c *core[K, V]) publish(ctx context.Context, key string) {
	if c.bus == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	err := c.bus.Publish(ctx, Message{Namespace: c.namespace, Key: key, Sender: c.id})
	cancel()
	if err != nil {
		c.n.sendErrors.Add(1)
		return
	}
	c.n.sent.Add(1)
}

// storeError wraps the error of a store write for the caller of Set or
// Delete.
func storeError(op, key string, err error) error {
	return fmt.Errorf("multilevel: %s %q in store: %w", op, key, err)
}
