package cache

import (
	"context"
	"errors"

	"github.com/stratacache/cache/entry"
	"github.com/stratacache/cache/internal/isnil"
	"github.com/stratacache/cache/shard"
)

// bulkItem is one key of a GetMany call: its hash and the flight it waits
// on (its own or another load's).
type bulkItem[K comparable, V any] struct {
	key  K
	hash uint64
	f    *shard.Flight[V]
}

// loadedItem is what a bulk load found for one of its keys: the value, if
// ok, with its weight and lifetime.
type loadedItem[V any] struct {
	value  V
	ok     bool
	weight uint32
	life   int64
}

// result is what one key's waiters get.
type result[V any] struct {
	value V
	err   error
}

// getMany is GetMany. It looks every key up, registers a flight for each
// miss that no load covers yet, hands those keys to one call of bl, and
// waits for its own flights and for the other loads its keys joined. Stale
// hits are reloaded by a second, background call of bl.
func (c *core[K, V]) getMany(ctx context.Context, keys []K, bl BulkLoader[K, V]) (map[K]V, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if isnil.IsNil(bl) { // a typed nil too: see Loader
		if bl = c.bulkLoader; bl == nil {
			return nil, ErrNoLoader
		}
	}
	dead := ctx.Err() // a dead caller gets its hits but starts no load
	skipped := false
	out := make(map[K]V, len(keys))
	// own: the keys this call loads; waits: every key waited for, in the
	// order given, so the first error reported is the first key's.
	var own, waits, stale []bulkItem[K, V]
	// The lookups run user code (ExpireAfterRead, the clock). Should it
	// panic, the loads registered so far still run: their keys would
	// otherwise wait for them for good.
	settled := false
	start := func() {
		settled = true
		if len(own) > 0 {
			c.startBulk(ctx, own, bl, false)
		}
		if len(stale) > 0 {
			c.startBulk(ctx, stale, bl, true)
		}
	}
	defer func() {
		if !settled {
			start()
		}
	}()
	for _, key := range keys {
		h := c.hasher.Hash(key)
		s := c.shardFor(h)
		v, found, written := c.read(s, key, h)
		switch found {
		case shard.FoundValue:
			out[key] = v
			if c.refreshAfter != 0 && c.now()-written >= c.refreshAfter {
				if f := s.BeginRefresh(key, h, written); f != nil {
					stale = append(stale, bulkItem[K, V]{key, h, f})
				}
			}
			continue
		case shard.FoundNegative:
			continue
		}
		if dead != nil {
			skipped = true
			continue
		}
		v, found, f, leader := s.Begin(key, h)
		switch {
		case found == shard.FoundValue:
			out[key] = v
		case found == shard.FoundNegative:
		case f == nil:
			// Closed: settle the flights registered so far.
			settled = true
			c.abandon(own, ErrClosed)
			c.abandon(stale, ErrClosed)
			return out, ErrClosed
		default:
			it := bulkItem[K, V]{key, h, f}
			if leader {
				own = append(own, it)
			}
			waits = append(waits, it)
		}
	}
	start()
	var first error
	if skipped {
		first = dead
	}
	for _, it := range waits {
		v, err := c.wait(ctx, it.f)
		switch {
		case err == nil:
			out[it.key] = v
		case errors.Is(err, ErrNotFound) && !isAbort(err):
		case first == nil:
			first = err
		}
	}
	return out, first
}

// isAbort reports whether err is a loader's panic or exit rather than an
// answer, even if the panic value wraps ErrNotFound.
func isAbort(err error) bool {
	var pe *PanicError
	return errors.As(err, &pe) || errors.Is(err, ErrLoaderExited)
}

// startBulk runs bl for the keys of items on a new goroutine and ends
// their flights with its result.
func (c *core[K, V]) startBulk(parent context.Context, items []bulkItem[K, V], bl BulkLoader[K, V], refresh bool) {
	ctx, cancel := c.loadContext(parent)
	keys := make([]K, len(items)) // the loader's to keep or reorder
	for i := range items {
		keys[i] = items[i].key
	}
	go func() {
		defer cancel()
		var (
			got  []loadedItem[V]
			err  error
			end  func(error)
			took int64
		)
		guard(func() {
			// The tracer and the clock are user code too (see startLoad).
			ctx, end = c.startTrace(ctx, LoadInfo{Keys: len(keys), Bulk: true, Refresh: refresh})
			start := c.now()
			defer func() { took = c.now() - start }()
			got, err = c.loadMany(ctx, bl, keys, items)
		}, func(abort error) {
			c.finishBulk(items, got, err, abort, refresh, took, end)
		})
	}()
}

// loadMany calls bl (LoadManyTTL if it has it) for keys and returns what it
// found for each of items, in order, with weights and lifetimes; it runs
// user code, so its caller guards it.
func (c *core[K, V]) loadMany(ctx context.Context, bl BulkLoader[K, V], keys []K, items []bulkItem[K, V]) ([]loadedItem[V], error) {
	got := make([]loadedItem[V], len(items))
	if tl, ok := bl.(TTLBulkLoader[K, V]); ok {
		found, err := tl.LoadManyTTL(ctx, keys)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			if t, ok := found[it.key]; ok {
				got[i] = loadedItem[V]{t.Value, true, c.weigh(it.key, t.Value), c.loadedLifetime(it.key, t.Value, t.TTL)}
			}
		}
		return got, nil
	}
	found, err := bl.LoadMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		if v, ok := found[it.key]; ok {
			got[i] = loadedItem[V]{v, true, c.weigh(it.key, v), c.lifetimeOf(it.key, v, 0)}
		}
	}
	return got, nil
}

// finishBulk settles every flight of a bulk load: values found (got, in
// the order of items) are stored, requested keys left out are not found,
// and an error fails them all. The call is counted and its trace ended
// (end may be nil), then waiters are released, then OnEvict hears of the
// removals.
func (c *core[K, V]) finishBulk(items []bulkItem[K, V], got []loadedItem[V], err, abort error, refresh bool, took int64, end func(error)) {
	if abort != nil {
		err = abort
	}
	var (
		removed entry.List[K, V]
		life    int64 // nonzero if some stored entry expires
		results = make([]result[V], len(items))
	)
	for i, it := range items {
		var (
			v    V
			w    uint32
			kerr = err
			out  shard.Outcome
			l    int64
		)
		if err == nil {
			if g := got[i]; g.ok {
				v, out, w, l = g.value, shard.OutcomeValue, g.weight, g.life
			} else {
				kerr = ErrNotFound
			}
		}
		if kerr != nil {
			out, l, w = c.failedOutcome(kerr, abort != nil)
		}
		r := c.shardFor(it.hash).Finish(it.key, it.hash, it.f, out, v, w, l)
		for e := r.PopFront(); e != nil; e = r.PopFront() {
			removed.PushBack(e)
		}
		results[i] = result[V]{v, kerr}
		if l != 0 {
			life = l
		}
	}
	c.loads.count(err, abort, refresh, took) // counted before anyone returns
	if end != nil {
		end(err)
	}
	for i, it := range items {
		it.f.Publish(results[i].value, results[i].err)
	}
	c.afterWrite(life, &removed)
}

// abandon settles flights whose load will never run.
func (c *core[K, V]) abandon(items []bulkItem[K, V], err error) {
	var zero V
	for _, it := range items {
		// A discard stores and removes nothing: no removals to report.
		c.shardFor(it.hash).Finish(it.key, it.hash, it.f, shard.OutcomeDiscard, zero, 0, 0)
		it.f.Publish(zero, err)
	}
}
