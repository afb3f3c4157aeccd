package cache

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/stratacache/cache/entry"
)

// ErrInvalidBound is wrapped by every error SetMaxEntries and SetMaxWeight
// return for a bound they cannot apply.
var ErrInvalidBound = errors.New("invalid bound")

// SetMaxEntries changes the bound of a cache created with
// Options.MaxEntries to n entries, while it runs.
//
// Shrinking evicts the entries the policy values least until every shard
// fits its share, before it returns, reporting each to OnEvict (with
// ReasonCapacity) on the calling goroutine with no lock held; growing
// takes effect at once. The shard count does not change, and policies
// keep what they learned. Shards are resized one at a time, so concurrent
// writes may see some at the old bound until it returns. Cost: one lock per shard plus amortised
// O(1) per entry evicted.
//
// The error begins "cache:" and wraps ErrInvalidBound if the cache is
// unbounded or bounded by weight, or n is below the shard count; it wraps
// ErrClosed after Close. The cache is unchanged then.
func (c *Cache[K, V]) SetMaxEntries(n int) error {
	defer runtime.KeepAlive(c) // OnEvict hears the evictions
	return c.c.resize("SetMaxEntries", int64(n), false)
}

// SetMaxWeight changes the bound of a cache created with Options.MaxWeight
// to w weight units, while it runs; see SetMaxEntries, which it mirrors.
// Shrinking also evicts every entry heavier than its shard's new share,
// and later writes of such entries are rejected (ReasonCapacity) as in a
// cache created with this bound. It fails for a cache bounded by entry
// count (use SetMaxEntries), for one created unbounded, and for w not
// positive or below the shard count.
func (c *Cache[K, V]) SetMaxWeight(w int64) error {
	defer runtime.KeepAlive(c) // OnEvict hears the evictions
	return c.c.resize("SetMaxWeight", w, true)
}

// MaxEntries returns the cache's entry bound, as given to New or to the
// last SetMaxEntries; 0 if it is unbounded or bounded by weight.
func (c *Cache[K, V]) MaxEntries() int {
	if c.c.weigher != nil {
		return 0
	}
	return int(c.c.currentBound())
}

// MaxWeight returns the cache's weight bound, as given to New or to the
// last SetMaxWeight; 0 if it is unbounded or bounded by entry count.
func (c *Cache[K, V]) MaxWeight() int64 {
	if c.c.weigher == nil {
		return 0
	}
	return c.c.currentBound()
}

func (c *core[K, V]) currentBound() int64 {
	c.resizeMu.Lock()
	defer c.resizeMu.Unlock()
	return c.bound
}

func (c *core[K, V]) resize(method string, total int64, byWeight bool) error {
	removed, err := c.setBound(method, total, byWeight)
	// Reported with no lock held, so that OnEvict may use the cache,
	// resizing included.
	var first any
	for i := range removed {
		first = firstPanic(first, c.notify(&removed[i]))
	}
	repanic(first)
	return err
}

// setBound checks and applies a new bound, returning each shard's
// evictions.
func (c *core[K, V]) setBound(method string, total int64, byWeight bool) ([]entry.List[K, V], error) {
	c.resizeMu.Lock()
	defer c.resizeMu.Unlock()
	n := len(c.shards)
	switch {
	case c.closed.Load():
		return nil, fmt.Errorf("cache: %s: %w", method, ErrClosed)
	case c.bound == 0:
		return nil, fmt.Errorf("cache: %s(%d): the cache was created unbounded, and an unbounded cache keeps no eviction policy to bound it with; create it with Options.MaxEntries or Options.MaxWeight: %w",
			method, total, ErrInvalidBound)
	case byWeight && c.weigher == nil:
		return nil, fmt.Errorf("cache: %s(%d): the cache is bounded by entry count (Options.MaxEntries); use SetMaxEntries: %w", method, total, ErrInvalidBound)
	case !byWeight && c.weigher != nil:
		return nil, fmt.Errorf("cache: %s(%d): the cache is bounded by weight (Options.MaxWeight); use SetMaxWeight: %w", method, total, ErrInvalidBound)
	case total <= 0:
		return nil, fmt.Errorf("cache: %s(%d): the bound must be positive: %w", method, total, ErrInvalidBound)
	case total < int64(n):
		return nil, fmt.Errorf("cache: %s(%d): below the cache's %d shards; each shard needs a share of at least 1: %w", method, total, n, ErrInvalidBound)
	}
	c.bound = total
	removed := make([]entry.List[K, V], n)
	i := 0
	defer func() {
		// Only a custom policy's runtime.Goexit in shard i ends the loop
		// early: the shards after it still take their share of the
		// bound just recorded (their removals go unreported, as the
		// caller's goroutine is ending).
		for i++; i < n; i++ {
			c.shards[i].SetCapacity(shareOf(total, n, i))
		}
	}()
	for ; i < n; i++ {
		removed[i] = c.shards[i].SetCapacity(shareOf(total, n, i))
	}
	return removed, nil
}
