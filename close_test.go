package cache

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Close may be called from OnEvict wherever the hook runs: during Close's
// own reports, during a write's evictions, on the expiry goroutine, and
// while the application closes the cache at the same moment. Every call
// returns, later calls return, and no goroutine of the cache is left:
// synctest fails the test with a deadlock report otherwise.
func TestCloseFromOnEvict(t *testing.T) {
	t.Run("during Close", func(t *testing.T) {
		defer failIfHung(t)()
		synctest.Test(t, func(t *testing.T) {
			var c *Cache[int, int]
			var hooks atomic.Int32
			c = Must(New(Options[int, int]{OnEvict: func(int, int, Reason) {
				hooks.Add(1)
				c.Close()
			}}))
			for i := range 10 {
				c.Set(i, i)
			}
			c.Close()
			c.Close()
			if n := hooks.Load(); n != 10 {
				t.Fatalf("%d of 10 entries reported", n)
			}
		})
	})
	t.Run("during a write's eviction", func(t *testing.T) {
		defer failIfHung(t)()
		synctest.Test(t, func(t *testing.T) {
			var c *Cache[int, int]
			var reasons []Reason
			c = Must(New(Options[int, int]{MaxEntries: 1, OnEvict: func(_ int, _ int, r Reason) {
				reasons = append(reasons, r)
				c.Close()
			}}))
			c.Set(1, 1)
			c.Set(2, 2) // evicts one, whose hook closes the cache
			c.Set(3, 3)
			if _, ok := c.Get(3); ok {
				t.Fatal("a write after Close was stored")
			}
			c.Close()
			if len(reasons) != 2 || reasons[0] != ReasonCapacity || reasons[1] != ReasonCleared {
				t.Fatalf("reasons %v, want [capacity cleared]", reasons)
			}
		})
	})
	t.Run("on the expiry goroutine", func(t *testing.T) {
		defer failIfHung(t)()
		synctest.Test(t, func(t *testing.T) {
			var c *Cache[int, int]
			var hooks atomic.Int32
			c = Must(New(Options[int, int]{TTL: time.Second, OnEvict: func(int, int, Reason) {
				hooks.Add(1)
				c.Close()
			}}))
			for i := range 10 {
				c.Set(i, i)
			}
			time.Sleep(3 * expiryInterval) // the bubble's clock: the sweep runs
			synctest.Wait()
			c.Close()
			c.Close()
			if n := hooks.Load(); n != 10 {
				t.Fatalf("%d of 10 entries reported", n)
			}
		})
	})
	t.Run("on the expiry goroutine while the application closes", func(t *testing.T) {
		defer failIfHung(t)()
		synctest.Test(t, func(t *testing.T) {
			var c *Cache[int, int]
			inHook := make(chan struct{})
			appClosing := make(chan struct{})
			var once sync.Once
			c = Must(New(Options[int, int]{TTL: time.Second, OnEvict: func(int, int, Reason) {
				once.Do(func() {
					close(inHook)
					<-appClosing
				})
				c.Close()
			}}))
			for i := range 10 {
				c.Set(i, i)
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				<-inHook // the expiry goroutine is inside OnEvict
				close(appClosing)
				c.Close()
			})
			time.Sleep(3 * expiryInterval)
			wg.Wait()
			c.Close()
		})
	})
}

// failIfHung crashes the test binary, with every goroutine's stack, if the
// test has not called the returned function within a minute of real time:
// a deadlock on a mutex is not one that synctest reports, and the stacks
// show where it is.
func failIfHung(t *testing.T) (stop func()) {
	name := t.Name()
	timer := time.AfterFunc(time.Minute, func() { panic(name + " hung for a minute") })
	return func() { timer.Stop() }
}
