package cache_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/eviction"
)

// brittle is a FIFO policy whose method named by on panics (or, with
// exit, calls runtime.Goexit), once, on the first call after arm is set:
// a custom policy breaking its contract.
type brittle struct {
	eviction.Custom[int, int]
	on   string
	arm  *bool
	sent *bool
	exit bool
}

type brittlePanic struct{ method string }

func (b brittle) trip(method string) {
	if b.on == method && *b.arm && !*b.sent {
		*b.sent = true
		if b.exit {
			runtime.Goexit()
		}
		panic(brittlePanic{method})
	}
}

func (b brittle) Add(e eviction.Handle[int, int]) {
	b.trip("Add")
	b.Custom.Add(e)
}

func (b brittle) Access(e eviction.Handle[int, int]) {
	b.trip("Access")
	b.Custom.Access(e)
}

func (b brittle) Update(e eviction.Handle[int, int], old uint32) {
	b.trip("Update")
	b.Custom.Update(e, old)
}

func (b brittle) Remove(e eviction.Handle[int, int]) {
	b.trip("Remove")
	b.Custom.Remove(e)
}

func (b brittle) Evict() (eviction.Handle[int, int], bool) {
	b.trip("Evict")
	return b.Custom.Evict()
}

func (b brittle) SetCapacity(c int64) {
	b.trip("SetCapacity")
	b.Custom.SetCapacity(c)
}

func (b brittle) Ordered(hottest bool, yield func(eviction.Handle[int, int]) bool) {
	b.trip("Ordered")
	b.Custom.Ordered(hottest, yield)
}

// A custom policy that panics must not leave its shard locked: the panic
// reaches a caller (the operation that met it, or for a read's bookkeeping
// the next write or Flush), every later operation completes, and the
// shard, now under the built-in policy, keeps its bound and its values.
// Before the fix, a panic in Add left the shard's locks held and the next
// write blocked for good.
func TestCustomPolicyPanicLeavesNoShardLocked(t *testing.T) {
	const max = 32
	for method, run := range policyTriggers(max) {
		for _, shards := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/shards=%d", method, shards), func(t *testing.T) {
				var arm, sent bool
				c := newBrittleCache(max, shards, brittle{on: method, arm: &arm, sent: &sent})
				// Not deferred: Close would block on a shard left locked,
				// and the failure would become a hang.
				arm = true

				var got []any
				catch := func(op func()) {
					if p := recovered(op); p != nil {
						got = append(got, p)
					}
				}
				within(t, method, func() {
					catch(func() { run(c) })
					// The operations after the panic, and the one that
					// re-raises it if the trigger left it to a write.
					for k := range 8 * max {
						catch(func() { c.Set(k, k*10) })
					}
					catch(func() { c.Flush() })
				})
				if !sent {
					t.Fatalf("the trigger did not call %s", method)
				}
				if len(got) != 1 || got[0] != (brittlePanic{method}) {
					t.Fatalf("callers recovered %v; want the policy's panic in %s once", got, method)
				}
				checkTookOver(t, c, max, method)
			})
		}
	}
}

// A custom policy that calls runtime.Goexit, as t.FailNow in a test's
// policy does, ends the goroutine that met it (Goexit cannot be stopped)
// but leaves no shard locked: every later operation completes, no caller
// gets a panic, and the built-in policy that takes over keeps the bound
// and the values. Before the fix, a Goexit in Add, Access or Evict during
// a write's maintenance left the policy lock held.
func TestCustomPolicyGoexitLeavesNoShardLocked(t *testing.T) {
	const max = 32
	for method, run := range policyTriggers(max) {
		for _, shards := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/shards=%d", method, shards), func(t *testing.T) {
				var arm, sent bool
				c := newBrittleCache(max, shards, brittle{on: method, arm: &arm, sent: &sent, exit: true})
				arm = true
				// The trigger runs on a goroutine of its own, which the
				// Goexit ends unless it came on a read buffer's drain
				// goroutine.
				ended := make(chan struct{})
				go func() {
					defer close(ended)
					run(c)
				}()
				within(t, method, func() {
					<-ended
					for k := range 8 * max {
						if p := recovered(func() { c.Set(k, k*10) }); p != nil {
							t.Errorf("Set(%d) panicked with %v", k, p)
						}
					}
					if p := recovered(c.Flush); p != nil {
						t.Errorf("Flush panicked with %v", p)
					}
				})
				if !sent {
					t.Fatalf("the trigger did not call %s", method)
				}
				checkTookOver(t, c, max, method)
			})
		}
	}
}

// newBrittleCache returns a cache under policy b (with a FIFO inside it)
// holding a few entries, whose weights differ so that Update has work.
func newBrittleCache(max, shards int, b brittle) *cache.Cache[int, int] {
	c := cache.Must(cache.New(cache.Options[int, int]{
		MaxWeight: 2 * int64(max),
		Weigher:   func(_, v int) uint32 { return uint32(v%3 + 1) },
		Shards:    shards,
		NewPolicy: func(capacity int64) eviction.Custom[int, int] {
			p := b
			p.Custom = newFIFO[int, int](capacity)
			return p
		},
	}))
	for k := range max / 2 {
		c.Set(k, k)
	}
	c.Flush()
	return c
}

// checkTookOver checks a cache whose policy broke, then saw writes of
// k*10 under keys below 8*max and a Flush: the built-in policy that took
// over keeps the bound, tracks every entry, evicts, and values are right.
func checkTookOver(t *testing.T, c *cache.Cache[int, int], max int, method string) {
	t.Helper()
	bound := c.MaxWeight()
	if w := c.Stats().Weight; w > bound {
		t.Fatalf("weight %d after Flush; the policy that took over should keep the bound of %d", w, bound)
	}
	for k := range 8 * max {
		if v, ok := c.Get(k); ok && v != k*10 {
			t.Fatalf("Get(%d) = %d; want %d", k, v, k*10)
		}
	}
	// The policy that took over tracks every entry: its order lists
	// them all.
	tracked := 0
	for range c.Coldest(1 << 20) {
		tracked++
	}
	if n := c.Len(); tracked != n {
		t.Fatalf("the policy orders %d entries of %d", tracked, n)
	}
	// The last writes are resident: eviction works again.
	if _, ok := c.Get(8*max - 1); !ok {
		t.Fatalf("the last write is not resident")
	}
	within(t, method+": Close", c.Close)
}

// policyTriggers returns, for each method of a custom policy, operations
// on a cache built by newBrittleCache that make the shard call it. Reads
// are buffered, so Access runs when a write or Flush drains them.
func policyTriggers(max int) map[string]func(c *cache.Cache[int, int]) {
	return map[string]func(c *cache.Cache[int, int]){
		"Add":    func(c *cache.Cache[int, int]) { c.Set(1000, 1000); c.Flush() },
		"Access": func(c *cache.Cache[int, int]) { readAll(c, max); c.Flush() },
		// Every key the fill wrote: the shards' shares are small, so
		// any one key may have been evicted already.
		"Update": func(c *cache.Cache[int, int]) { // new values weigh more
			for k := range max / 2 {
				c.Set(k, k+1)
			}
			c.Flush()
		},
		"Remove": func(c *cache.Cache[int, int]) {
			for k := range max / 2 {
				c.Delete(k)
			}
			c.Flush()
		},
		"Evict": func(c *cache.Cache[int, int]) {
			for k := range 4 * max {
				c.Set(k, k)
			}
			c.Flush()
		},
		"SetCapacity": func(c *cache.Cache[int, int]) { _ = c.SetMaxWeight(int64(max)) },
		"Ordered":     func(c *cache.Cache[int, int]) { c.Coldest(max); c.Clear() },
	}
}

// recovered runs op and returns what it panicked with, or nil.
func recovered(op func()) (p any) {
	defer func() { p = recover() }()
	op()
	return nil
}

func readAll(c *cache.Cache[int, int], n int) {
	for range 64 {
		for k := range n {
			c.Get(k)
		}
	}
}

// within runs fn and fails the test if it has not returned after a minute:
// a shard left locked blocks fn for good, and the test should say so
// rather than hang until go test's timeout.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s: operations still blocked after a minute: a shard was left locked", what)
	}
}

// A walk of a policy whose Ordered panics is not cut short: the views and
// snapshots walk the built-in policy that takes over, so a snapshot never
// silently leaves entries out, and the panic reaches the next write.
func TestCustomPolicyPanicInOrderedKeepsSnapshotsWhole(t *testing.T) {
	var arm, sent bool
	c := cache.Must(cache.New(cache.Options[int, int]{
		MaxEntries: 64,
		Shards:     2,
		NewPolicy: func(capacity int64) eviction.Custom[int, int] {
			return brittle{Custom: newFIFO[int, int](capacity), on: "Ordered", arm: &arm, sent: &sent}
		},
	}))
	for k := range 40 {
		c.Set(k, k)
	}
	arm = true
	var buf bytes.Buffer
	var info cache.SnapshotInfo
	within(t, "SaveSnapshot", func() {
		var err error
		if info, err = c.SaveSnapshot(&buf, cache.SnapshotOptions{}); err != nil {
			t.Errorf("SaveSnapshot: %v", err)
		}
	})
	if !sent || info.Entries != 40 {
		t.Fatalf("Ordered called: %v; snapshot of %d entries, want 40", sent, info.Entries)
	}
	// A write that finds the policy lock taken leaves the shard's
	// maintenance, and so the panic, to the holder: Flush is the call
	// that certainly re-raises it.
	var got []any
	within(t, "Set and Flush", func() {
		for k := 40; k < 48; k++ {
			if p := recovered(func() { c.Set(k, k) }); p != nil {
				got = append(got, p)
			}
		}
		if p := recovered(c.Flush); p != nil {
			got = append(got, p)
		}
	})
	if len(got) != 1 || got[0] != (brittlePanic{"Ordered"}) {
		t.Fatalf("the next writes and Flush recovered %v; want the policy's panic in Ordered once", got)
	}
	d := cache.Must(cache.New(cache.Options[int, int]{MaxEntries: 64}))
	defer d.Close()
	if _, err := d.LoadSnapshot(&buf, cache.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	for k := range 40 {
		if v, ok := d.Get(k); !ok || v != k {
			t.Fatalf("restored Get(%d) = %d, %v; want %d, true", k, v, ok, k)
		}
	}
	within(t, "Close", c.Close)
}

// countdown is a FIFO policy whose Add panics on the left-th call, across
// all shards: a policy that breaks in the middle of concurrent traffic.
type countdown struct {
	eviction.Custom[int, int]
	left *atomic.Int64
}

func (c countdown) Add(e eviction.Handle[int, int]) {
	if c.left.Add(-1) == 0 {
		panic("countdown")
	}
	c.Custom.Add(e)
}

// Under concurrent writes, reads and deletes, a policy that panics once
// costs one panic, to one caller; nothing blocks, values stay right, and
// the bound holds once flushed. Run with -race.
func TestCustomPolicyPanicUnderConcurrency(t *testing.T) {
	const (
		max     = 128
		workers = 4
		ops     = 3000
	)
	var left atomic.Int64
	left.Store(300)
	c := cache.Must(cache.New(cache.Options[int, int]{
		MaxEntries: max,
		Shards:     4,
		NewPolicy: func(capacity int64) eviction.Custom[int, int] {
			return countdown{newFIFO[int, int](capacity), &left}
		},
	}))
	var panics atomic.Int64
	within(t, "concurrent operations", func() {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range ops {
					p := recovered(func() {
						k := (i*7 + w*13) % (4 * max)
						switch i % 4 {
						case 0, 1:
							c.Set(k, k*10)
						case 2:
							if v, ok := c.Get(k); ok && v != k*10 {
								t.Errorf("Get(%d) = %d; want %d", k, v, k*10)
							}
						case 3:
							c.Delete(k)
						}
					})
					if p != nil {
						if p != "countdown" {
							t.Errorf("recovered %v", p)
						}
						panics.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if recovered(c.Flush) != nil {
			panics.Add(1)
		}
	})
	if n := panics.Load(); n != 1 {
		t.Fatalf("%d callers recovered the policy's panic; want 1", n)
	}
	if n := c.Len(); n > max {
		t.Fatalf("Len %d after Flush; want at most %d", n, max)
	}
	within(t, "Close", c.Close)
}
