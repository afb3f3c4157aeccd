package benchmarks

import cache "github.com/stratacache/cache"

const strataNotes = "`cache.New(Options{MaxEntries, TTL})`, default shards and policy."

type strataCache[K comparable, V any] struct {
	c *cache.Cache[K, V]
}

func newStrata[K comparable, V any](cfg Config) Cache[K, V] {
	c, err := cache.New(cache.Options[K, V]{MaxEntries: cfg.Capacity, TTL: cfg.TTL})
	if err != nil {
		panic(err)
	}
	return strataCache[K, V]{c}
}

func (strataCache[K, V]) Name() string        { return "strata" }
func (s strataCache[K, V]) Get(k K) (V, bool) { return s.c.Get(k) }
func (s strataCache[K, V]) Set(k K, v V)      { s.c.Set(k, v) }
func (s strataCache[K, V]) Close()            { s.c.Close() }
