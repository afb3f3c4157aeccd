package multilevel

import (
	"context"
	"errors"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/internal/isnil"
)

// get is Get, and GetOrLoad with a loader of its own (nil: Options.Load).
func (c *core[K, V]) get(ctx context.Context, key K, loader cache.Loader[K, V]) (V, error) {
	if c.closed.Load() {
		var zero V
		return zero, ErrClosed
	}
	through := c.loader
	if loader != nil {
		through = cache.TTLLoaderFunc[K, V](func(ctx context.Context, key K) (V, time.Duration, error) {
			if isnil.IsNil(loader) { // a typed nil means Options.Load, as nil does
				return c.loadThrough(ctx, key, c.load)
			}
			return c.loadThrough(ctx, key, timedLoad(loader))
		})
	}
	// The L1 coalesces misses: loadThrough runs once per key at a time,
	// so one store read and at most one load serve every waiting caller.
	return c.l1.GetOrLoad(ctx, key, through)
}

// loadFunc is a loader as loadThrough calls it: with the value's lifetime
// (0: none of its own; see cache.TTLLoader).
type loadFunc[K comparable, V any] func(context.Context, K) (V, time.Duration, error)

// timedLoad returns the loadFunc of ld: its LoadTTL if it is a TTLLoader.
func timedLoad[K comparable, V any](ld cache.Loader[K, V]) loadFunc[K, V] {
	if tl, ok := ld.(cache.TTLLoader[K, V]); ok {
		return tl.LoadTTL
	}
	return func(ctx context.Context, key K) (V, time.Duration, error) {
		v, err := ld.Load(ctx, key)
		return v, 0, err
	}
}

// loadThrough is the L1's loader: the store, then load (nil: none). Only
// the loader's own errors leave it; the store's become a fall-through to
// the loader. It returns the L1 lifetime of the value too (see l1Life): a
// value from the store lives in the L1 no longer than it has left in the
// store, and a loaded one no longer than its loader said, or than L2TTL.
func (c *core[K, V]) loadThrough(ctx context.Context, key K, load loadFunc[K, V]) (v V, life time.Duration, err error) {
	if !c.enter() {
		return v, 0, ErrClosed
	}
	defer c.running.Done()
	if !c.ownL1 {
		// The L1 cancels its loads when it closes; a borrowed L1 does
		// not close with us, so Close cancels them itself.
		var stop func()
		ctx, stop = c.bindClose(ctx)
		defer stop()
	}

	skey := c.keys.storeKey(key)
	quiet := c.guard.watch(skey)
	data, left, err := c.storeGet(ctx, skey)
	writeBack, leased := true, false
	switch {
	case err == nil && isLease(data):
		// Another instance is loading the key (Options.Lease): a miss.
		c.n.l2Misses.Add(1)
		leased = true
	case err == nil:
		v, err := c.values.unmarshal(data)
		if err == nil {
			c.n.l2Hits.Add(1)
			return v, c.l1Life(key, v, left), nil
		}
		// Written for another type, corrupt, written with another
		// codec, or too large to decode: a miss whose bytes the load
		// below overwrites.
		c.countUndecodable(err)
	case errors.Is(err, ErrMiss):
		c.n.l2Misses.Add(1)
	default:
		// Failed, timed out, or refused by the breaker: load without
		// writing back to a store that is not answering.
		writeBack = false
	}

	if load == nil {
		if err == nil && !leased {
			// Undecodable bytes and nothing to replace them with: drop
			// them so that readers stop paying for the decode.
			_ = c.storeDelete(ctx, skey)
		}
		return v, 0, ErrNotFound
	}
	var lease []byte
	if c.leaser != nil && writeBack && (leased || errors.Is(err, ErrMiss)) {
		var out leaseOutcome
		v, left, lease, out = c.leaseOrWait(ctx, skey, leasedBy(leased, data))
		switch out {
		case leaseShared:
			return v, c.l1Life(key, v, left), nil
		case leaseCanceled:
			return v, 0, context.Cause(ctx)
		case leaseNoStore:
			writeBack = false
		}
	}
	filled := false
	if lease != nil {
		defer func() { c.endLease(ctx, skey, lease, filled) }()
	}
	var ttl time.Duration
	if v, ttl, err = c.callLoad(ctx, key, load); err != nil {
		return v, 0, err
	}
	// A write of key since the store read may hold a newer value than
	// the one just loaded: leave it be. One the loader says is already
	// expired is not stored at all.
	if writeBack && ttl >= 0 && quiet() {
		if data, err := c.marshal(v); err == nil {
			// Counted; the value is good either way. Over a lease of
			// ours, it ends the lease too.
			filled = c.storeSet(ctx, skey, data, c.storeLife(ttl)) == nil
		}
	}
	return v, c.l1Life(key, v, c.storeBound(ttl)), nil
}

// countUndecodable counts store bytes that unmarshal refused with err: a
// type mismatch, or a decode error.
func (c *core[K, V]) countUndecodable(err error) {
	if errors.Is(err, codec.ErrTypeMismatch) {
		c.n.l2TypeMismatches.Add(1)
	} else {
		c.n.l2DecodeErrors.Add(1)
	}
}

// leasedBy returns the lease the store held instead of a value, or nil.
func leasedBy(leased bool, data []byte) []byte {
	if leased {
		return data
	}
	return nil
}

// callLoad calls load (Options.Load or a GetOrLoad's loader) and counts
// the outcome. A panic is counted and passed on to the L1, which turns it
// into a *cache.PanicError.
func (c *core[K, V]) callLoad(ctx context.Context, key K, load loadFunc[K, V]) (v V, ttl time.Duration, err error) {
	c.n.loads.Add(1)
	returned := false
	defer func() {
		switch {
		case !returned:
			c.n.loadErrors.Add(1) // a panic or Goexit, going on up
		case errors.Is(err, ErrNotFound):
			c.n.loadNotFound.Add(1)
		case err != nil:
			c.n.loadErrors.Add(1)
		}
	}()
	v, ttl, err = load(ctx, key)
	returned = true
	return v, ttl, err
}

// marshal encodes v, counting a failure (a panic in a user's Marshal
// included) instead of passing it on.
func (c *core[K, V]) marshal(v V) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, errors.New("multilevel: Marshal panicked")
		}
		if err != nil {
			c.n.l2EncodeErrors.Add(1)
		}
	}()
	return c.values.marshal(v)
}

// bindClose returns ctx, also cancelled when the cache closes, and the
// function that releases it.
func (c *core[K, V]) bindClose(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.closeCtx, cancel)
	return ctx, func() { stop(); cancel() }
}
