package cache_test

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stratacache/cache"
)

type User struct {
	Name string
}

// The quick start: a bounded cache with a default lifetime.
func ExampleNew() {
	c, err := cache.New(cache.Options[string, User]{MaxEntries: 100_000, TTL: 5 * time.Minute})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	c.Set("u1", User{Name: "Ada"})
	u, ok := c.Get("u1")
	fmt.Println(u.Name, ok)

	_, ok = c.Get("u2")
	fmt.Println(ok)
	// Output:
	// Ada true
	// false
}

// Invalid options are reported by New with the field at fault.
func ExampleNew_invalidOptions() {
	_, err := cache.New(cache.Options[string, int]{Shards: 3})
	fmt.Println(err)
	// Output:
	// cache: Options.Shards is 3; it must be 0 (automatic) or a power of two: invalid options
}

// manualClock is a cache.Clock that moves only when told to, so examples and
// tests can show expiry without waiting. The mutex matters when the cache
// reads the clock from its own goroutines (loads, refreshes).
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (m *manualClock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *manualClock) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// Entries expire after the cache's TTL or their own.
func ExampleCache_SetWithTTL() {
	clock := &manualClock{now: time.Unix(0, 0)}
	c := cache.Must(cache.New(cache.Options[string, string]{TTL: time.Hour, Clock: clock}))
	defer c.Close()

	c.Set("session", "abc")                       // lives an hour
	c.SetWithTTL("otp", "123456", 30*time.Second) // lives 30 seconds
	c.SetWithTTL("config", "v1", cache.NoTTL)     // never expires

	clock.Advance(time.Minute)
	_, otp := c.Get("otp")
	_, session := c.Get("session")
	fmt.Println("after a minute: otp", otp, "session", session)

	clock.Advance(time.Hour)
	_, session = c.Get("session")
	_, config := c.Get("config")
	fmt.Println("after an hour: session", session, "config", config)
	// Output:
	// after a minute: otp false session true
	// after an hour: session false config true
}

// OnEvict hears about every entry that leaves, with the reason.
func ExampleOptions_onEvict() {
	c := cache.Must(cache.New(cache.Options[string, int]{
		MaxEntries: 2,
		OnEvict: func(key string, value int, reason cache.Reason) {
			fmt.Println(key, value, reason)
		},
	}))
	c.Set("a", 1)
	c.Set("b", 2)
	c.Get("a")    // a is now more recent than b
	c.Set("c", 3) // over capacity: b, the least recently used, goes
	c.Set("a", 10)
	c.Delete("c")
	c.Close() // reports what is left
	// Output:
	// b 2 capacity
	// a 1 replaced
	// c 3 deleted
	// a 10 cleared
}

// Compute updates a key atomically without holding a lock while fn runs.
func ExampleCache_Compute() {
	c := cache.Must(cache.New(cache.Options[string, int]{}))
	defer c.Close()
	for range 3 {
		c.Compute("visits", func(n int, _ bool) (int, cache.Action) { return n + 1, cache.ActionSet })
	}
	n, _ := c.Get("visits")
	fmt.Println(n)
	// Output:
	// 3
}

// All and Keys are Go iterators over the live entries.
func ExampleCache_All() {
	c := cache.Must(cache.New(cache.Options[string, int]{}))
	defer c.Close()
	c.Set("x", 1)
	c.Set("y", 2)
	keys := slices.Sorted(c.Keys())
	fmt.Println(keys)
	sum := 0
	for _, v := range c.All() {
		sum += v
	}
	fmt.Println(sum)
	// Output:
	// [x y]
	// 3
}

// Stats summarises what the cache has done.
func ExampleCache_Stats() {
	c := cache.Must(cache.New(cache.Options[int, int]{MaxEntries: 10}))
	defer c.Close()
	for i := range 20 {
		c.Set(i, i)
	}
	c.Get(19)  // written last: always resident
	c.Get(100) // never written
	st := c.Stats()
	fmt.Println(st.Hits, st.Misses, st.Sets, st.Removed[cache.ReasonCapacity], st.Entries)
	fmt.Printf("%.2f\n", st.HitRatio())
	// Output:
	// 1 1 20 10 10
	// 0.50
}

// A Stats prints every counter by name, removals by reason.
func ExampleStats_String() {
	c := cache.Must(cache.New(cache.Options[string, int]{MaxEntries: 2}))
	defer c.Close()
	c.Set("a", 1)
	c.Set("b", 2)
	c.Set("c", 3) // over the bound: one entry is evicted
	c.Set("c", 4) // replaces 3
	c.Get("c")
	c.Get("z")
	st := c.Stats()
	fmt.Println(st.Removed)
	fmt.Println(st.Removed[cache.ReasonCapacity], st.Removed.Total())
	fmt.Println(st)
	// Output:
	// [capacity:1 expired:0 deleted:0 replaced:1 cleared:0]
	// 1 2
	// {Hits:1 Misses:1 NegativeHits:0 Sets:4 Removed:[capacity:1 expired:0 deleted:0 replaced:1 cleared:0] Entries:2 Weight:2 LoadsSucceeded:0 LoadsFailed:0 LoadsPanicked:0 RefreshesSucceeded:0 RefreshesFailed:0 LoadTime:0s LoadBuckets:[]}
}
