package cache

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratacache/cache/eviction"
)

// TestStress runs every operation from many goroutines at once over a small
// key space, so shards, the read buffers and the timer wheels are all
// contended, then checks what must hold whatever the interleaving:
//
//   - the bound: Len never exceeds MaxEntries plus the shards' slack, and
//     after Flush not MaxEntries;
//   - exactly-once: every value that was stored is reported to OnEvict
//     exactly once by the time Close returns (values are unique);
//   - Stats: hits + misses equals the number of Get calls.
func TestStress(t *testing.T) {
	for _, policy := range eviction.Algorithms() {
		t.Run(policy.String(), func(t *testing.T) { stress(t, policy) })
	}
}

func stress(t *testing.T, policy eviction.Algorithm) {
	const (
		capacity = 2048
		keys     = 8192
	)
	goroutines := 4 * runtime.GOMAXPROCS(0)
	ops := 20_000
	if testing.Short() {
		ops = 2_000
	}
	clk := newFakeClock()
	var reported sync.Map // value -> *atomic.Int32
	var stored sync.Map   // value -> struct{}
	c := Must(New(Options[int, int64]{
		MaxEntries: capacity, Shards: 2, Policy: policy, Clock: clk, TTL: time.Second,
		OnEvict: func(_ int, v int64, _ Reason) {
			n, _ := reported.LoadOrStore(v, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
		},
	}))
	var gets atomic.Uint64
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range ops {
				k := r.IntN(keys)
				switch op := r.IntN(100); {
				case op < 50:
					c.Get(k)
					gets.Add(1)
				case op < 70:
					v := next.Add(1)
					stored.Store(v, struct{}{})
					c.Set(k, v)
				case op < 75:
					v := next.Add(1)
					stored.Store(v, struct{}{})
					c.SetWithTTL(k, v, time.Duration(r.IntN(3)-1)*time.Second)
				case op < 80:
					v := next.Add(1)
					stored.Store(v, struct{}{}) // stored unless a value was there
					if _, loaded := c.GetOrSet(k, v); loaded {
						stored.Delete(v)
					}
				case op < 85:
					if v, ok := c.Compute(k, func(int64, bool) (int64, Action) { return next.Add(1), ActionSet }); ok {
						stored.Store(v, struct{}{})
					}
				case op < 90:
					c.Delete(k)
				case op < 93:
					c.Peek(k)
				case op < 95:
					clk.Advance(100 * time.Millisecond)
				case op < 96:
					c.c.expire()
				case op < 97:
					for range c.All() {
					}
				default:
					if n := c.Len(); n > capacity+c.slack() {
						t.Errorf("Len = %d > %d + slack %d", n, capacity, c.slack())
					}
				}
			}
		}()
	}
	wg.Wait()
	c.Flush()
	if n := c.Len(); n > capacity {
		t.Fatalf("Len = %d > %d after Flush", n, capacity)
	}
	st := c.Stats()
	if st.Hits+st.Misses != gets.Load() {
		t.Fatalf("hits %d + misses %d != %d gets", st.Hits, st.Misses, gets.Load())
	}
	c.Close()
	count := 0
	stored.Range(func(v, _ any) bool {
		count++
		n, ok := reported.Load(v)
		if !ok {
			t.Errorf("value %d was stored but never reported to OnEvict", v)
		} else if got := n.(*atomic.Int32).Load(); got != 1 {
			t.Errorf("value %d reported %d times", v, got)
		}
		return true
	})
	reported.Range(func(v, _ any) bool {
		if _, ok := stored.Load(v); !ok {
			t.Errorf("value %d reported but never stored", v)
		}
		return true
	})
	if count == 0 {
		t.Fatal("nothing was stored")
	}
}
