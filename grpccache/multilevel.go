package grpccache

import (
	"context"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// Multilevel adapts a byte-valued multilevel cache to Cache, so that the
// interceptors keep answers both in its L1 and in its shared store. Give
// several server instances one store (Redis through redisstore, or one
// MemoryStore in a process) and a common Namespace: an answer computed by
// one of them is then served by the others without running their handler.
// They must run the same response types for the methods they cache.
//
// A rule's TTL and NotFoundTTL apply to both levels: the store keeps the
// answer that long, and so does the L1 of the instance that computed it,
// unless its L1.TTL is shorter; a TTL of 0 means m's own lifetimes (L2TTL
// and L1.TTL). An instance that finds an answer in the store keeps it in
// its L1 no longer than it has left there, so no instance serves an
// answer past its TTL. That takes a store that tells the time a value
// has left (a multilevel.TTLGetter: MemoryStore, GCFreeStore and the
// Redis store are); with another store, an answer read from it lives its
// L1.TTL in the L1.
//
// Build m with Format codec.FormatRaw, since answers already are bytes,
// and with no Load: the handler is the loader. A store failure is never a
// call's error: it is counted in m.Stats, and the answer is still served
// from this instance's L1. Multilevel(nil) returns nil.
func Multilevel(m *multilevel.Cache[string, []byte]) Cache {
	if m == nil {
		return nil
	}
	return multilevelCache{m}
}

type multilevelCache struct {
	m *multilevel.Cache[string, []byte]
}

func (c multilevelCache) GetOrLoad(ctx context.Context, key string, loader cache.Loader[string, []byte]) ([]byte, error) {
	return c.m.GetOrLoad(ctx, key, loader)
}

// SetWithTTL writes through both levels; each store call is bounded by
// the multilevel cache's Options.Timeout. A failure is counted there.
func (c multilevelCache) SetWithTTL(key string, value []byte, ttl time.Duration) {
	_ = c.m.SetWithTTL(context.Background(), key, value, ttl)
}
