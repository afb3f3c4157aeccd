package readbuf

import (
	"sync"
	"testing"
)

func TestDrainReturnsRecordsOldestFirst(t *testing.T) {
	var b Buffer[int]
	vals := make([]int, 10)
	for i := range vals {
		vals[i] = i
		if b.Add(&vals[i]) {
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
	full := 0
	for i := range vals {
		vals[i] = i
		if b.Add(&vals[i]) {
			full++
		}
	}
	if full != 1 {
		t.Fatalf("Add reported full %d times for %d adds", full, len(vals))
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
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10_000 {
				if b.Add(&x) && mu.TryLock() {
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
}
