package readbuf

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestDrainReturnsRecordsOldestFirst(t *testing.T) {
	var b Buffer[int]
	vals := make([]int, 10)
	for i := range vals {
		vals[i] = i
		if full, _ := b.TryAdd(&vals[i]); full {
			t.Fatal("buffer reported full early")
		}
	}
	var got []int
	b.Drain(func(p *int) { got = append(got, *p) })
	if len(got) != 10 {
		t.Fatalf("drained %v", got)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("drained %v, want 0..9 in order", got)
		}
	}
	b.Drain(func(*int) { t.Fatal("second drain found records") })
}

func TestFullBufferAsksForADrainAndDropsOldest(t *testing.T) {
	var b Buffer[int]
	vals := make([]int, Size+4)
	fulls := 0
	for i := range vals {
		vals[i] = i
		if full, _ := b.TryAdd(&vals[i]); full {
			fulls++
		}
	}
	if fulls != 1 {
		t.Fatalf("TryAdd reported full %d times for %d adds", fulls, len(vals))
	}
	n := 0
	b.Drain(func(p *int) {
		if *p < 4 {
			t.Fatalf("record %d should have been overwritten", *p)
		}
		n++
	})
	if n != Size {
		t.Fatalf("drained %d records, want %d", n, Size)
	}
}

func TestConcurrentAddsAndDrains(t *testing.T) {
	var b Buffer[int]
	var mu sync.Mutex
	x := 1
	var wg sync.WaitGroup
	var added, contended atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10_000 {
				full, busy := b.TryAdd(&x)
				if busy {
					contended.Add(1)
					continue
				}
				added.Add(1)
				if full && mu.TryLock() {
					b.Drain(func(p *int) {
						if *p != 1 {
							t.Error("drained a foreign pointer")
						}
					})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	// Every add either claimed a slot or said it did not.
	if got := int64(b.head.Load()); got != added.Load() || added.Load()+contended.Load() != 40_000 {
		t.Fatalf("head %d, added %d, contended %d; want head = added and 40000 in all", got, added.Load(), contended.Load())
	}
}
