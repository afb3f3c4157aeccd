package benchmarks

import "sync"

const mutexMapNotes = "Baseline: one `sync.Mutex` around a `map`, FIFO eviction through a ring of keys; no expiry."

// mutexMap is the simplest bounded cache: a map under one mutex, evicting
// the oldest inserted key once full.
type mutexMap[K comparable, V any] struct {
	mu   sync.Mutex
	m    map[K]V
	ring []K // insertion order; ring[head] is the oldest key once full
	head int
}

func newMutexMap[K comparable, V any](cfg Config) Cache[K, V] {
	return &mutexMap[K, V]{
		m:    make(map[K]V),
		ring: make([]K, 0, cfg.Capacity),
	}
}

func (*mutexMap[K, V]) Name() string { return "mutex-map" }

func (c *mutexMap[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	return v, ok
}

func (c *mutexMap[K, V]) Set(k K, v V) {
	c.mu.Lock()
	if _, ok := c.m[k]; !ok {
		if len(c.ring) < cap(c.ring) {
			c.ring = append(c.ring, k)
		} else {
			delete(c.m, c.ring[c.head])
			c.ring[c.head] = k
			if c.head++; c.head == len(c.ring) {
				c.head = 0
			}
		}
	}
	c.m[k] = v
	c.mu.Unlock()
}

func (c *mutexMap[K, V]) Close() {
	c.mu.Lock()
	clear(c.m)
	c.ring = c.ring[:0]
	c.mu.Unlock()
}
