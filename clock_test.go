package cache

import "github.com/stratacache/cache/internal/fakeclock"

// fakeClock is a Clock that moves only when a test advances it.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }

// slack is how many entries (or weight units) beyond its bound the cache
// may hold while writes' bookkeeping waits: the sum of its shards'.
func (c *Cache[K, V]) slack() int {
	n := int64(0)
	for _, s := range c.c.shards {
		n += s.Slack()
	}
	return int(n)
}
