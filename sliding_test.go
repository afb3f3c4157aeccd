package cache

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlidingExpiryExtendsOnlyTheVersionRead races expire-after-access
// reads of one value with overwrites that bring another lifetime. A read
// that copied the old value must not push the new value's deadline: a value
// written already expired stays unreadable, one written with NoTTL never
// expires, and one written with 1ms expires 1ms after it was written.
//
// The readers take no lock outside race builds, which is where the race
// lives; `make test` runs this test without -race too.
func TestSlidingExpiryExtendsOnlyTheVersionRead(t *testing.T) {
	readers := int32(max(2, runtime.GOMAXPROCS(0)))
	const keys = 8
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	const (
		long      = time.Hour
		expiredV  = -1 // value written with a negative TTL: never readable
		noTTLV    = -2 // value written with NoTTL: never expires
		shortV    = -3 // value written with 1ms
		longValue = 1  // values >= 1 are written with an hour
	)
	clk := newFakeClock()
	var expiredByHook atomic.Int64
	c := Must(New(Options[int, int]{
		ExpireAfterAccess: true, Clock: clk, Shards: 1,
		OnEvict: func(_ int, v int, r Reason) {
			if v == noTTLV && r == ReasonExpired {
				expiredByHook.Add(1)
			}
		},
	}))
	defer c.Close()

	var bad atomic.Int64
	var wrong []string
	for round := 0; round < rounds && len(wrong) == 0; round++ {
		for k := range keys {
			c.SetWithTTL(k, longValue+round, long)
		}
		// Readers extend the hour-long values while they are overwritten;
		// once they have stopped, every extension has landed.
		var stop atomic.Bool
		var started atomic.Int32
		var wg sync.WaitGroup
		for r := range int(readers) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := r; ; i++ {
					if v, ok := c.Get(i % keys); ok && v == expiredV {
						bad.Add(1)
					}
					if i == r {
						started.Add(1)
					}
					if stop.Load() {
						return
					}
				}
			}()
		}
		for started.Load() < readers {
			runtime.Gosched()
		}
		kind := round % 3
		for k := range keys {
			switch kind {
			case 0:
				c.SetWithTTL(k, expiredV, -time.Second)
			case 1:
				c.SetWithTTL(k, noTTLV, NoTTL)
			case 2:
				c.SetWithTTL(k, shortV, time.Millisecond)
			}
		}
		stop.Store(true)
		wg.Wait()
		clk.Advance(2 * time.Millisecond)
		if kind == 1 {
			clk.Advance(2 * long) // past any deadline an hour-long value could give
		}
		for k := range keys {
			v, ok := c.Peek(k)
			switch {
			case kind == 0 && ok:
				wrong = append(wrong, "a value written already expired is readable")
			case kind == 1 && !ok:
				wrong = append(wrong, "a value written with NoTTL expired")
			case kind == 2 && ok:
				wrong = append(wrong, "a value written with a 1ms lifetime outlived it")
			case kind == 1 && v != noTTLV:
				wrong = append(wrong, "Peek returned another value")
			}
		}
	}
	if bad.Load() > 0 {
		t.Errorf("Get returned a value written already expired %d times", bad.Load())
	}
	if n := expiredByHook.Load(); n > 0 {
		t.Errorf("%d values written with NoTTL were reported expired", n)
	}
	if len(wrong) > 0 {
		t.Fatal(wrong[0])
	}
}
