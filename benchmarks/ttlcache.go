package benchmarks

import (
	"github.com/jellydator/ttlcache/v3"
)

const ttlcacheNotes = "`ttlcache.New(WithCapacity, WithTTL, WithDisableTouchOnHit)` (expire after write, like the others); " +
	"the expiry goroutine (`Start`) is not run: expired items are still never returned."

type ttlCache[K comparable, V any] struct {
	c *ttlcache.Cache[K, V]
}

func newTTLCache[K comparable, V any](cfg Config) Cache[K, V] {
	opts := []ttlcache.Option[K, V]{
		ttlcache.WithCapacity[K, V](uint64(cfg.Capacity)),
		ttlcache.WithDisableTouchOnHit[K, V](),
	}
	if cfg.TTL > 0 {
		opts = append(opts, ttlcache.WithTTL[K, V](cfg.TTL))
	}
	return ttlCache[K, V]{ttlcache.New(opts...)}
}

func (ttlCache[K, V]) Name() string { return "ttlcache" }

func (t ttlCache[K, V]) Get(k K) (V, bool) {
	if it := t.c.Get(k); it != nil {
		return it.Value(), true
	}
	var zero V
	return zero, false
}

func (t ttlCache[K, V]) Set(k K, v V) { t.c.Set(k, v, ttlcache.DefaultTTL) }
func (t ttlCache[K, V]) Close()       { t.c.DeleteAll() }
