package cache_test

import (
	"fmt"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/eviction"
)

// Shrinking a running cache evicts down to the new bound before the call
// returns, reporting each eviction; growing takes effect at once.
func ExampleCache_SetMaxEntries() {
	c := cache.Must(cache.New(cache.Options[string, int]{
		MaxEntries: 4,
		Policy:     eviction.LRU,
		OnEvict: func(key string, _ int, reason cache.Reason) {
			if reason == cache.ReasonCapacity { // not the ReasonCleared of Close
				fmt.Println("evicted", key)
			}
		},
	}))
	defer c.Close()
	for i, k := range []string{"a", "b", "c", "d"} {
		c.Set(k, i)
	}
	c.Get("a") // a is now the most recently used

	if err := c.SetMaxEntries(2); err != nil {
		panic(err)
	}
	fmt.Println("entries:", c.Len())

	fmt.Println(c.SetMaxWeight(100)) // the wrong kind of bound
	// Output:
	// evicted b
	// evicted c
	// entries: 2
	// cache: SetMaxWeight(100): the cache is bounded by entry count (Options.MaxEntries); use SetMaxEntries: invalid bound
}

// Hottest and Coldest show the policy's view: under LRU, recency.
func ExampleCache_Hottest() {
	c := cache.Must(cache.New(cache.Options[string, int]{MaxEntries: 100, Policy: eviction.LRU}))
	defer c.Close()
	for i, k := range []string{"a", "b", "c", "d", "e"} {
		c.Set(k, i)
	}
	c.Get("b")
	c.Get("a")

	for k, v := range c.Hottest(3) {
		fmt.Println("hot", k, v)
	}
	for k := range c.Coldest(2) {
		fmt.Println("cold", k)
	}
	// Output:
	// hot a 0
	// hot b 1
	// hot e 4
	// cold c
	// cold d
}
