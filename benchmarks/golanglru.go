package benchmarks

import lru "github.com/hashicorp/golang-lru/v2"

const lruNotes = "The thread-safe `lru.New(capacity)` (one mutex, strict LRU); no expiry."

type lruCache[K comparable, V any] struct {
	c *lru.Cache[K, V]
}

func newLRU[K comparable, V any](cfg Config) Cache[K, V] {
	c, err := lru.New[K, V](cfg.Capacity)
	if err != nil {
		panic(err)
	}
	return lruCache[K, V]{c}
}

func (lruCache[K, V]) Name() string        { return "golang-lru" }
func (l lruCache[K, V]) Get(k K) (V, bool) { return l.c.Get(k) }
func (l lruCache[K, V]) Set(k K, v V)      { l.c.Add(k, v) }
func (l lruCache[K, V]) Close()            { l.c.Purge() }
